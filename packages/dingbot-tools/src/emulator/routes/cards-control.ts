/**
 * The control API of cards: register templates for interactive cards, read cards, press a card's button
 * (the emulator sends the card callback to the bot and applies its answer) and set an app's card
 * permissions.
 *
 * - `POST /_emulator/card-templates {templateId, name, fields:[key | {key, label?}], buttons:[{actionId,
 *   title, params?}]}` → 201 template; `GET /_emulator/card-templates`
 * - `GET /_emulator/cards[?conversationId=]`, `GET /_emulator/cards/:outTrackId` → the card's state
 * - `POST /_emulator/cards/:outTrackId/actions {userId, actionId?, params?}` → `{delivered, response,
 *   applied, error?, card}`
 * - `POST /_emulator/card-permissions {appKey, granted: [...]}`, `GET /_emulator/card-permissions/:appKey`
 * @module
 */
import { pressCard } from "../cards/actions.js";
import { CARD_SCOPES, type CardInstance, type CardScope, cardView } from "../cards/state.js";
import type { CardTemplate, CardTemplateButton, CardTemplateField } from "../cards/templates.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { control, readControlJson } from "./control-http.js";
import { asObject, ControlError, optionalString } from "./control-input.js";

const MAX_FIELDS = 100;
const MAX_BUTTONS = 20;

/** Installs the card control routes; `fetchImpl` lets tests observe HTTP card callbacks. */
export function cardControlRoutes(fetchImpl?: typeof fetch): RouteInstaller {
  return (app, ctx) => {
    app.post(
      "/_emulator/card-templates",
      control(async (c) => {
        const template = parseTemplate(asObject(await readControlJson(c)));
        if (ctx.cards.templates.has(template.templateId)) {
          throw new ControlError(409, `a template ${template.templateId} already exists`);
        }
        ctx.cards.templates.set(template.templateId, template);
        return c.json(template, 201);
      }),
    );
    app.get(
      "/_emulator/card-templates",
      control((c) => c.json([...ctx.cards.templates.values()])),
    );
    app.get(
      "/_emulator/cards",
      control((c) => {
        const conversationId = c.req.query("conversationId");
        return c.json(ctx.cards.list(conversationId || undefined).map(cardView));
      }),
    );
    app.get(
      "/_emulator/cards/:outTrackId",
      control((c) => c.json(cardView(findCard(ctx, c.req.param("outTrackId") ?? "")))),
    );
    app.post(
      "/_emulator/cards/:outTrackId/actions",
      control(async (c) => {
        const card = findCard(ctx, c.req.param("outTrackId") ?? "");
        const input = asObject(await readControlJson(c));
        const userId = optionalString(input, "userId", 256);
        if (userId === undefined) throw new ControlError(400, "userId is required");
        const user = ctx.store.users.get(userId);
        if (!user) throw new ControlError(404, `no user ${userId}`);
        // Only someone who sees the card can press it: a member where it shows, and one of its recipients.
        const sees = card.deliveries.some(
          (d) =>
            ctx.store.conversations.get(d.conversationId)?.members.includes(userId) &&
            (d.recipients === undefined || d.recipients.includes(userId)),
        );
        if (card.deliveries.length > 0 && !sees) {
          throw new ControlError(
            400,
            `user ${userId} does not see the card (not a member, or not a recipient)`,
          );
        }
        const actionId = optionalString(input, "actionId", 256);
        const params = input.params === undefined ? {} : asObject(input.params, "params");
        const button = actionId === undefined ? undefined : buttonOf(ctx, card, actionId);
        const answer = await pressCard(
          ctx,
          card,
          user,
          actionId === undefined ? [] : [actionId],
          { ...button?.params, ...params },
          fetchImpl,
        );
        return c.json({ ...answer, card: cardView(card) });
      }),
    );
    app.post(
      "/_emulator/card-permissions",
      control(async (c) => {
        const input = asObject(await readControlJson(c));
        const appKey = optionalString(input, "appKey", 256);
        if (appKey === undefined) throw new ControlError(400, "appKey is required");
        if (!ctx.store.apps.has(appKey)) throw new ControlError(404, `no app ${appKey}`);
        const granted = input.granted;
        if (!Array.isArray(granted) || granted.some((s) => !CARD_SCOPES.includes(s as CardScope))) {
          throw new ControlError(400, `granted must be an array of ${CARD_SCOPES.join(", ")}`);
        }
        ctx.cards.grant(appKey, granted as CardScope[]);
        return c.json({ appKey, granted: ctx.cards.granted(appKey) });
      }),
    );
    app.get(
      "/_emulator/card-permissions/:appKey",
      control((c) => {
        const appKey = c.req.param("appKey") ?? "";
        if (!ctx.store.apps.has(appKey)) throw new ControlError(404, `no app ${appKey}`);
        return c.json({ appKey, granted: ctx.cards.granted(appKey) });
      }),
    );
  };
}

/** The routes with the global fetch. */
export const installCardControl: RouteInstaller = cardControlRoutes();

function findCard(ctx: EmulatorContext, outTrackId: string): CardInstance {
  const card = ctx.cards.instances.get(outTrackId);
  if (!card) throw new ControlError(404, "no card with this outTrackId");
  return card;
}

/** The template's button with this actionId; any actionId for a template without buttons (the AI card). */
function buttonOf(
  ctx: EmulatorContext,
  card: CardInstance,
  actionId: string,
): CardTemplateButton | undefined {
  const buttons = ctx.cards.templates.get(card.cardTemplateId)?.buttons ?? [];
  if (buttons.length === 0) return undefined;
  const button = buttons.find((b) => b.actionId === actionId);
  if (!button) {
    throw new ControlError(
      400,
      `the card's template has no button ${actionId} (${buttons.map((b) => b.actionId).join(", ")})`,
    );
  }
  return button;
}

const ID = /^[\w.:@-]{1,128}$/;

function parseTemplate(input: Record<string, unknown>): CardTemplate {
  const templateId = optionalString(input, "templateId", 128);
  if (templateId === undefined || !ID.test(templateId)) {
    throw new ControlError(400, "templateId is required: letters, digits and . _ - : @ (at most 128)");
  }
  const name = optionalString(input, "name", 200) ?? templateId;
  const fields = arrayOf(input, "fields", MAX_FIELDS).map((value, i): CardTemplateField => {
    if (typeof value === "string" && value !== "" && value.length <= 128) return { key: value, label: value };
    const field = asObject(value, `fields[${i}]`);
    const key = optionalString(field, "key", 128);
    if (key === undefined) throw new ControlError(400, `fields[${i}].key is required`);
    return { key, label: optionalString(field, "label", 200) ?? key };
  });
  const buttons = arrayOf(input, "buttons", MAX_BUTTONS).map((value, i): CardTemplateButton => {
    const button = asObject(value, `buttons[${i}]`);
    const actionId = optionalString(button, "actionId", 128);
    const title = optionalString(button, "title", 200);
    if (actionId === undefined || title === undefined) {
      throw new ControlError(400, `buttons[${i}] needs an actionId and a title`);
    }
    const params = button.params === undefined ? undefined : asObject(button.params, `buttons[${i}].params`);
    return { actionId, title, ...(params ? { params } : {}) };
  });
  const keys = new Set(fields.map((f) => f.key));
  if (keys.size !== fields.length) throw new ControlError(400, "fields must not repeat a key");
  if (new Set(buttons.map((b) => b.actionId)).size !== buttons.length) {
    throw new ControlError(400, "buttons must not repeat an actionId");
  }
  return { templateId, name, fields, buttons, builtIn: false };
}

function arrayOf(input: Record<string, unknown>, key: string, max: number): unknown[] {
  const value = input[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > max) {
    throw new ControlError(400, `${key} must be an array of at most ${max} entries`);
  }
  return value;
}
