/**
 * What happens to a card: delivered into conversations (a `via: "card"` message each), its data changed (the
 * messages follow, with `message-updated` and `card-updated` events). Shared by the card API and the card
 * actions of the control API.
 * @module
 */
import { OPEN_SPACE_ID_PREFIX } from "dingbot-sdk/protocol";
import type { EmulatorContext } from "../context.js";
import type { AppRecord } from "../store.js";
import { type CardDelivery, type CardInstance, cardView } from "./state.js";

/** One space's outcome of a delivery, as DingTalk answers it inside an HTTP 200. */
export interface DeliverResult {
  spaceType: string;
  spaceId: string;
  success: boolean;
  errorMsg?: string;
  carrierId?: string;
}

/** The delivery models of a deliver call. */
export interface DeliverModels {
  imGroupOpenDeliverModel?:
    | {
        robotCode: string;
        atUserIds?: Record<string, string> | undefined;
        recipients?: string[] | undefined;
      }
    | undefined;
  imRobotOpenDeliverModel?: { robotCode?: string | undefined } | undefined;
}

/** The body of a card's message: its current state and, when known, its template. */
export function cardMessageBody(ctx: EmulatorContext, card: CardInstance): Record<string, unknown> {
  const template = ctx.cards.templates.get(card.cardTemplateId);
  return {
    msgtype: "interactiveCard",
    ...cardView(card),
    ...(template
      ? { template: { name: template.name, fields: template.fields, buttons: template.buttons } }
      : {}),
  };
}

/** Brings the card's messages up to date and tells listeners the card changed. */
export function cardChanged(ctx: EmulatorContext, card: CardInstance): void {
  for (const delivery of card.deliveries) {
    ctx.store.replaceMessageBody(delivery.messageId, cardMessageBody(ctx, card));
  }
  ctx.cards.updated(card);
}

/**
 * Shows a card in the spaces of an open space id (`dtv1.card//IM_GROUP.<cid>;IM_ROBOT.<userId>`). Each space
 * succeeds or fails on its own, as on DingTalk.
 * @param ctx - the emulator
 * @param app - the app whose token delivers the card
 * @param card - the card
 * @param openSpaceId - where
 * @param models - the deliver models (which robot posts it)
 * @param options - `dryRun`: check every space, show the card nowhere
 */
export function deliverCard(
  ctx: EmulatorContext,
  app: AppRecord,
  card: CardInstance,
  openSpaceId: string,
  models: DeliverModels,
  options: { dryRun?: boolean } = {},
): DeliverResult[] {
  const placeIt = (robot: AppRecord, where: Parameters<typeof place>[3]): DeliverResult =>
    options.dryRun
      ? { spaceType: where.spaceType, spaceId: where.spaceId, success: true }
      : place(ctx, robot, card, where);
  const spaces = openSpaceId
    .slice(OPEN_SPACE_ID_PREFIX.length)
    .split(";")
    .filter((s) => s !== "");
  return spaces.map((space) => {
    const dot = space.indexOf(".");
    const spaceType = dot === -1 ? space : space.slice(0, dot);
    const spaceId = dot === -1 ? "" : space.slice(dot + 1);
    const fail = (errorMsg: string): DeliverResult => ({ spaceType, spaceId, success: false, errorMsg });
    if (spaceId === "") return fail("spaceId is empty");
    if (spaceType === "IM_GROUP") {
      const robotCode = models.imGroupOpenDeliverModel?.robotCode;
      if (!robotCode) return fail("imGroupOpenDeliverModel.robotCode is required");
      const robot = robotOf(ctx, app, robotCode);
      if (typeof robot === "string") return fail(robot);
      const conversation = ctx.store.conversations.get(spaceId);
      if (conversation?.type !== "group") return fail("group not exist");
      if (!conversation.robots.includes(robotCode)) return fail("robot is not in the group");
      const { atUserIds, recipients } = models.imGroupOpenDeliverModel ?? {};
      return placeIt(robot, {
        spaceType,
        spaceId,
        conversationId: spaceId,
        robotCode,
        ...(atUserIds && Object.keys(atUserIds).length > 0 ? { atUserIds } : {}),
        ...(recipients && recipients.length > 0 ? { recipients } : {}),
      });
    }
    if (spaceType === "IM_ROBOT") {
      if (!models.imRobotOpenDeliverModel) return fail("imRobotOpenDeliverModel is required");
      const robotCode = models.imRobotOpenDeliverModel.robotCode ?? app.robotCode;
      const robot = robotOf(ctx, app, robotCode);
      if (typeof robot === "string") return fail(robot);
      if (!ctx.store.users.has(spaceId)) return fail("user not exist");
      if (options.dryRun) return placeIt(robot, { spaceType, spaceId, conversationId: "", robotCode });
      const conversation = ctx.store.singleConversation(spaceId, robotCode, robot.name);
      return placeIt(robot, {
        spaceType,
        spaceId,
        conversationId: conversation.conversationId,
        robotCode,
      });
    }
    return fail(`space type ${spaceType} is not supported by the emulator (IM_GROUP, IM_ROBOT)`);
  });
}

/** The app behind a robotCode, which must be the calling app's; else why not. */
function robotOf(ctx: EmulatorContext, app: AppRecord, robotCode: string): AppRecord | string {
  const robot = ctx.store.findAppByRobotCode(robotCode);
  if (!robot) return "robot not exist";
  if (robot.appKey !== app.appKey) return "robot does not belong to this app";
  return robot;
}

/** Records the card's message in a conversation (once per conversation). */
function place(
  ctx: EmulatorContext,
  robot: AppRecord,
  card: CardInstance,
  where: Omit<CardDelivery, "messageId" | "spaceType"> & { spaceType: "IM_GROUP" | "IM_ROBOT" },
): DeliverResult {
  const existing = card.deliveries.find((d) => d.conversationId === where.conversationId);
  if (existing) {
    return {
      spaceType: where.spaceType,
      spaceId: where.spaceId,
      success: true,
      carrierId: existing.messageId,
    };
  }
  // The body names the conversations the card shows in, this one included: known before it is recorded.
  const delivery: CardDelivery = { ...where, messageId: "" };
  card.deliveries.push(delivery);
  const message = ctx.store.recordMessage({
    conversationId: where.conversationId,
    sender: { kind: "app", id: robot.robotCode, name: robot.name },
    via: "card",
    body: cardMessageBody(ctx, card),
    meta: {
      outTrackId: card.outTrackId,
      ...(where.atUserIds ? { atUserIds: where.atUserIds } : {}),
      ...(where.recipients ? { recipients: where.recipients } : {}),
    },
  });
  delivery.messageId = message.id;
  return { spaceType: where.spaceType, spaceId: where.spaceId, success: true, carrierId: message.id };
}

/**
 * Applies new data to a card: merged by key, or replacing the whole map (DingTalk's default for an update
 * without `cardUpdateOptions`: every key not given is cleared).
 */
export function applyCardData(
  card: CardInstance,
  change: {
    cardParamMap?: Record<string, string> | undefined;
    privateData?: Record<string, { cardParamMap: Record<string, string> }> | undefined;
    byKey: boolean;
    privateByKey: boolean;
  },
): void {
  if (change.cardParamMap) {
    card.cardParamMap = change.byKey
      ? { ...card.cardParamMap, ...change.cardParamMap }
      : { ...change.cardParamMap };
  }
  for (const [userId, data] of Object.entries(change.privateData ?? {})) {
    card.privateData[userId] = change.privateByKey
      ? { ...card.privateData[userId], ...data.cardParamMap }
      : { ...data.cardParamMap };
  }
}

/** The size of a card's data as DingTalk would store it (JSON of the public and private maps), in bytes. */
export function cardDataBytes(card: Pick<CardInstance, "cardParamMap" | "privateData">): number {
  return Buffer.byteLength(
    JSON.stringify({ cardParamMap: card.cardParamMap, privateData: card.privateData }),
  );
}
