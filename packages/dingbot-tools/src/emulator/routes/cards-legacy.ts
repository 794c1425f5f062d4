/**
 * The legacy robot interactive cards (im_1_0): `POST /v1.0/im/v1.0/robot/interactiveCards/send` (to a group by
 * `openConversationId`, or to a person by `singleChatReceiver`) and `PUT /v1.0/im/robots/interactiveCards`,
 * both answering `{processQueryKey}`. Kept as cards like the card_1_0 ones (`cardBizId` is the outTrackId,
 * the JSON-string `cardData` sits in `cardParamMap.cardData`), so they show in `/_emulator/cards`, the message
 * list and the event stream. Error codes from DingTalk's page of the send call (mirrored on apifox).
 * @module
 */
import { randomBytes } from "node:crypto";
import { parseJson } from "dingbot-sdk/protocol";
import type { Context, Hono } from "hono";
import { cardChanged, cardDataBytes, deliverCard } from "../cards/apply.js";
import { type CardInstance, newCardInstance } from "../cards/state.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import type { AppRecord } from "../store.js";
import { DingTalkRefusal, newRefusal } from "./app-api-errors.js";
import { admitCardCall, authenticateCardCall, readCardBody, refuseCardCall } from "./cards-api.js";

/** The legacy send call's path. */
export const LEGACY_CARD_SEND_PATH = "/v1.0/im/v1.0/robot/interactiveCards/send";
/** The legacy update call's path. */
export const LEGACY_CARD_UPDATE_PATH = "/v1.0/im/robots/interactiveCards";
/** The template DingTalk documents for the legacy call ("固定值填写为StandardCard"). */
export const STANDARD_CARD_TEMPLATE_ID = "StandardCard";

const bad = (code: string, message: string, reason = "params") => newRefusal(400, code, message, reason);

const text = (body: Record<string, unknown>, key: string): string | undefined => {
  const value = body[key];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
};

/** A JSON-string parameter, parsed (nesting capped). */
function jsonParam(body: Record<string, unknown>, key: string, code = "param.invalid"): unknown {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw bad(code, `${key} must be a JSON string`);
  const parsed = parseJson(value);
  if (!parsed.ok) throw bad(code, `${key} is not a JSON string: ${parsed.message}`);
  return parsed.value;
}

/** `userIdPrivateDataMap` (`{"userId": {"key": "value"}}` as a JSON string), values kept as strings. */
function privateDataOf(body: Record<string, unknown>): Record<string, Record<string, string>> {
  const map = jsonParam(body, "userIdPrivateDataMap");
  if (map === undefined) return {};
  if (!map || typeof map !== "object" || Array.isArray(map)) {
    throw bad("param.invalid", "userIdPrivateDataMap must be a JSON object of userId → object");
  }
  const result: Record<string, Record<string, string>> = {};
  for (const [userId, data] of Object.entries(map)) {
    if (!data || typeof data !== "object" || Array.isArray(data)) {
      throw bad("param.invalid", `userIdPrivateDataMap.${userId} must be an object`);
    }
    result[userId] = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  return result;
}

function send(ctx: EmulatorContext, app: AppRecord, body: Record<string, unknown>, now: number) {
  const cardTemplateId = text(body, "cardTemplateId");
  if (!cardTemplateId) throw bad("card.templateEmpty", "卡片模板ID为空");
  const cardBizId = text(body, "cardBizId");
  if (!cardBizId) throw bad("card.outTraceIdEmpty", "业务标识outTrackId为空");
  const robotCode = text(body, "robotCode");
  const robot = robotCode ? ctx.store.findAppByRobotCode(robotCode) : undefined;
  if (!robot || robot.appKey !== app.appKey) throw bad("chatbot.notFound", "机器人不存在", "robot");
  if (cardTemplateId !== STANDARD_CARD_TEMPLATE_ID && !ctx.cards.templates.has(cardTemplateId)) {
    throw bad("cardInstance.wrong", "创建卡片实例失败,先检查卡片模板是否已发布", "template");
  }
  const cardData = text(body, "cardData");
  if (!cardData) throw bad("param.empty", "cardData 为空");
  jsonParam(body, "cardData");
  const openConversationId = text(body, "openConversationId");
  const receiver = jsonParam(body, "singleChatReceiver", "userInfo.convertError") as
    | { userId?: unknown }
    | undefined;
  if (!openConversationId && receiver === undefined) throw bad("invalidParameter.cid.empty", "群id为空");
  if (ctx.cards.instances.has(cardBizId)) {
    throw bad("param.invalid", `cardBizId ${cardBizId} is already used by another card`, "card");
  }
  const userId = typeof receiver?.userId === "string" ? receiver.userId : undefined;
  if (!openConversationId && !userId) throw bad("userInfo.convertError", "消息接收者UID解码错误");
  const card = newCardInstance(
    {
      outTrackId: cardBizId,
      appKey: app.appKey,
      cardTemplateId,
      cardParamMap: { cardData },
      privateData: privateDataOf(body),
      callbackType: "HTTP",
      legacy: true,
    },
    now,
  );
  if (cardDataBytes(card) > ctx.options.cardDataMaxBytes) {
    throw bad("param.invalid", `卡片数据过大: card data larger than ${ctx.options.cardDataMaxBytes} bytes`);
  }
  const space = openConversationId ? `IM_GROUP.${openConversationId}` : `IM_ROBOT.${userId}`;
  const models = openConversationId
    ? { imGroupOpenDeliverModel: { robotCode: robot.robotCode } }
    : { imRobotOpenDeliverModel: { robotCode: robot.robotCode } };
  // Unlike card_1_0 there are no per-space results: a send that shows nowhere is refused whole.
  const [result] = deliverCard(ctx, app, card, `dtv1.card//${space}`, models, { dryRun: true });
  if (!result?.success)
    throw bad("sendCardMessageFailed", `发送卡片失败: ${result?.errorMsg ?? "unknown"}`, "space");
  ctx.cards.instances.set(card.outTrackId, card);
  deliverCard(ctx, app, card, `dtv1.card//${space}`, models);
  ctx.cards.created(card);
  return { processQueryKey: randomBytes(16).toString("base64") };
}

function update(ctx: EmulatorContext, app: AppRecord, body: Record<string, unknown>, now: number) {
  const cardBizId = text(body, "cardBizId");
  if (!cardBizId) throw bad("card.outTraceIdEmpty", "业务标识outTrackId为空");
  const card = ctx.cards.instances.get(cardBizId);
  if (!card || card.appKey !== app.appKey || !card.legacy) {
    throw bad("param.invalid", `卡片不存在: no interactive card with cardBizId ${cardBizId}`, "card");
  }
  const cardData = text(body, "cardData");
  if (cardData !== undefined) jsonParam(body, "cardData");
  const privateData = privateDataOf(body);
  const options = body.updateOptions as
    | { updateCardDataByKey?: unknown; updatePrivateDataByKey?: unknown }
    | undefined;
  const next = {
    cardParamMap:
      cardData === undefined ? card.cardParamMap : { cardData: mergeJson(card, cardData, options) },
    privateData: { ...card.privateData },
  };
  for (const [userId, data] of Object.entries(privateData)) {
    next.privateData[userId] =
      options?.updatePrivateDataByKey === true ? { ...card.privateData[userId], ...data } : data;
  }
  if (cardDataBytes(next) > ctx.options.cardDataMaxBytes) {
    throw bad("param.invalid", `卡片数据过大: card data larger than ${ctx.options.cardDataMaxBytes} bytes`);
  }
  card.cardParamMap = next.cardParamMap;
  card.privateData = next.privateData;
  card.updates += 1;
  card.updatedAt = now;
  cardChanged(ctx, card);
  return { processQueryKey: randomBytes(16).toString("base64") };
}

/** `updateCardDataByKey: true` merges the top-level keys of the two JSON documents; otherwise replaces. */
function mergeJson(
  card: CardInstance,
  cardData: string,
  options: { updateCardDataByKey?: unknown } | undefined,
) {
  if (options?.updateCardDataByKey !== true) return cardData;
  const before = parseJson(card.cardParamMap.cardData ?? "{}");
  const after = parseJson(cardData);
  const isObject = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v);
  if (!before.ok || !after.ok || !isObject(before.value) || !isObject(after.value)) return cardData;
  return JSON.stringify({ ...before.value, ...after.value });
}

/** Installs the two legacy routes (before the app API's `/v1.0/*` catch-all). */
export const installLegacyCards: RouteInstaller = (app: Hono, ctx: EmulatorContext) => {
  const route =
    (name: string, endpoint: string, handle: typeof send) =>
    async (c: Context): Promise<Response> => {
      let caller: AppRecord | undefined;
      try {
        const now = ctx.options.now();
        caller = authenticateCardCall(c, ctx, now);
        admitCardCall(ctx, caller, name, now);
        return c.json(handle(ctx, caller, await readCardBody(c), now));
      } catch (error) {
        if (error instanceof DingTalkRefusal) return refuseCardCall(c, ctx, endpoint, error, caller);
        throw error;
      }
    };
  app.post(LEGACY_CARD_SEND_PATH, route("im.interactiveCards.send", `POST ${LEGACY_CARD_SEND_PATH}`, send));
  app.put(
    LEGACY_CARD_UPDATE_PATH,
    route("im.interactiveCards.update", `PUT ${LEGACY_CARD_UPDATE_PATH}`, update),
  );
};
