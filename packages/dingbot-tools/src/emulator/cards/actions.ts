/**
 * A person presses a card's button: the emulator sends DingTalk's card callback to the app's bot (a Stream
 * CALLBACK on `/v1.0/card/instances/callback`, or a signed POST to the URL registered with
 * `callbacks/register`) and applies the bot's answer (`{cardData, privateData | userPrivateData,
 * cardUpdateOptions}`) to the card.
 * @module
 */
import { CardCallbackResponseSchema, check, formatIssues, parseJson } from "dingbot-sdk/protocol";
import type { EmulatorContext } from "../context.js";
import { deliverCardCallbackHttp } from "../deliver.js";
import type { AppRecord, UserRecord } from "../store.js";
import { applyCardData, cardChanged } from "./apply.js";
import type { CardInstance } from "./state.js";

/** What `POST /_emulator/cards/:outTrackId/actions` answers. */
export interface CardActionAnswer {
  /** The bot received the callback (a Stream ack, or HTTP 2xx). */
  delivered: boolean;
  /** The bot's answer (null when it sent none). */
  response: unknown;
  /** The card after the answer was applied. */
  applied: boolean;
  error?: string;
}

/** The callback body DingTalk sends (Go SDK `card/model.go`, Python SDK `card_callback.py`). */
export function cardCallbackBody(
  app: AppRecord,
  card: CardInstance,
  user: UserRecord,
  actionIds: string[],
  params: Record<string, unknown>,
): Record<string, unknown> {
  const space = card.deliveries[0];
  return {
    corpId: app.corpId,
    userId: user.userId,
    outTrackId: card.outTrackId,
    type: "actionCallback",
    ...(space ? { spaceType: space.spaceType, spaceId: space.spaceId } : {}),
    userIdType: 1,
    extension: "{}",
    content: JSON.stringify({ cardPrivateData: { actionIds, params } }),
  };
}

/**
 * Sends a card callback and applies the answer.
 * @param ctx - the emulator
 * @param card - the card pressed
 * @param user - who pressed it
 * @param actionIds - the actions (button ids)
 * @param params - the parameters sent with them
 * @param fetchImpl - fetch for HTTP callbacks
 */
export async function pressCard(
  ctx: EmulatorContext,
  card: CardInstance,
  user: UserRecord,
  actionIds: string[],
  params: Record<string, unknown>,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<CardActionAnswer> {
  if (card.legacy) {
    return {
      delivered: false,
      response: null,
      applied: false,
      error: "presses on legacy interactive cards (interactiveCards/send) are not emulated",
    };
  }
  const app = ctx.store.apps.get(card.appKey);
  if (!app)
    return { delivered: false, response: null, applied: false, error: "the card's app no longer exists" };
  const body = cardCallbackBody(app, card, user, actionIds, params);
  const sent = await send(ctx, app, card, body, fetchImpl);
  if (!sent.delivered || sent.response === null || sent.response === undefined) {
    const answer = { delivered: sent.delivered, response: sent.response ?? null, applied: false };
    if (sent.error) record(ctx, app, card, sent.error, sent.delivered ? "reply" : "delivery");
    return sent.error ? { ...answer, error: sent.error } : answer;
  }
  const checked = check(CardCallbackResponseSchema, sent.response);
  if (!checked.ok) {
    const error = `the bot's answer is not a card update: ${formatIssues(checked.issues)}`;
    record(ctx, app, card, error, "reply");
    return { delivered: true, response: sent.response, applied: false, error };
  }
  const answer = checked.value;
  const privateData: Record<string, { cardParamMap: Record<string, string> }> = { ...answer.privateData };
  // The Go SDK answers the person's data as userPrivateData (no userId key), the Python example as privateData.
  if (answer.userPrivateData) privateData[user.userId] = answer.userPrivateData;
  const changes = answer.cardData !== undefined || Object.keys(privateData).length > 0;
  if (changes) {
    // An answer merges by key unless it says otherwise (UNCERTAIN; docs/protocol-decisions.md).
    applyCardData(card, {
      cardParamMap: answer.cardData?.cardParamMap,
      privateData,
      byKey: answer.cardUpdateOptions?.updateCardDataByKey !== false,
      privateByKey: answer.cardUpdateOptions?.updatePrivateDataByKey !== false,
    });
    card.updatedAt = ctx.options.now();
    cardChanged(ctx, card);
  }
  return { delivered: true, response: sent.response, applied: changes };
}

async function send(
  ctx: EmulatorContext,
  app: AppRecord,
  card: CardInstance,
  body: Record<string, unknown>,
  fetchImpl: typeof fetch,
): Promise<{ delivered: boolean; response?: unknown; error?: string }> {
  const timeoutMs = ctx.options.callbackTimeoutMs;
  if (card.callbackType === "HTTP") {
    const route = card.callbackRouteKey ? ctx.cards.route(app.appKey, card.callbackRouteKey) : undefined;
    if (!route) {
      return {
        delivered: false,
        error: `no callback URL is registered for callbackRouteKey ${card.callbackRouteKey ?? "(none)"}`,
      };
    }
    return deliverCardCallbackHttp({
      url: route.callbackUrl,
      apiSecret: route.apiSecret,
      body,
      timeoutMs,
      now: ctx.options.now,
      fetch: fetchImpl,
    });
  }
  if (!ctx.stream) {
    return {
      delivered: false,
      error: "the emulator's Stream server is not running (start it with listen())",
    };
  }
  const result = await ctx.stream.pushCardCallback(app.appKey, body, timeoutMs);
  if (!result.delivered) return { delivered: false, error: result.error ?? "not delivered" };
  if (result.error) return { delivered: true, error: result.error };
  return { delivered: true, response: ackResponse(result.ackData) };
}

/** The bot's answer inside a Stream ack's `data`: `{"response": …}` (the official SDKs' shape). */
function ackResponse(data: unknown): unknown {
  if (typeof data !== "string" || data.trim() === "") return null;
  const parsed = parseJson(data);
  if (!parsed.ok || !parsed.value || typeof parsed.value !== "object") return null;
  return (parsed.value as { response?: unknown }).response ?? null;
}

function record(
  ctx: EmulatorContext,
  app: AppRecord,
  card: CardInstance,
  errmsg: string,
  reason: string,
): void {
  ctx.store.recordRejection({
    endpoint: card.callbackType === "HTTP" ? "POST card callbackUrl" : "stream CALLBACK card",
    subject: app.name,
    errmsg,
    reason,
  });
}
