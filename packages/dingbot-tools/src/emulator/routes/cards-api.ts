/**
 * DingTalk's card calls (card_1_0 on api.dingtalk.com, protocol section 6): create, deliver, create and
 * deliver, update, streaming update and the registration of an HTTP callback URL, with DingTalk's answers
 * and refusals. Checks run by cost: the token, the app's card permission and the per-app, per-API QPS
 * limit before the body is read; then DingTalk's own parameter codes, the protocol's schema (unknown
 * fields are allowed, as DingTalk ignores them), the card's state.
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  ACCESS_TOKEN_HEADER,
  CARD_ENDPOINT_NAMES,
  CARD_ENDPOINTS,
  type CardEndpointName,
  type CardEndpointRequest,
  check,
  formatIssues,
  parseJson,
} from "dingbot-sdk/protocol";
import type { Context, Hono } from "hono";
import { readCappedBody } from "../../http/read-body.js";
import {
  applyCardData,
  cardChanged,
  cardDataBytes,
  cardMessageBody,
  type DeliverResult,
  deliverCard,
} from "../cards/apply.js";
import { type CardInstance, type CardScope, newCardInstance } from "../cards/state.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import type { AppRecord } from "../store.js";
import { answerChecked } from "./app-api.js";
import { DingTalkRefusal, newRefusal } from "./app-api-errors.js";

/** Largest request body the card routes read (DingTalk's own limit is unknown; see cardDataMaxBytes). */
const MAX_BODY_BYTES = 1_000_000;

/** The permission each call needs (403 without it). */
const SCOPE_OF: Record<CardEndpointName, CardScope> = {
  "card.create": "Card.Instance.Write",
  "card.deliver": "Card.Instance.Write",
  "card.createAndDeliver": "Card.Instance.Write",
  "card.update": "Card.Instance.Write",
  "card.streaming": "Card.Streaming.Write",
  "card.registerCallback": "Card.Instance.Write",
};

type Schema = Parameters<typeof check>[0];

/** The protocol's request schemas, strict for the client, with unknown fields allowed for the emulator. */
const LENIENT: Record<CardEndpointName, Schema> = Object.fromEntries(
  CARD_ENDPOINT_NAMES.map((name) => [name, CARD_ENDPOINTS[name].request.loose()]),
) as unknown as Record<CardEndpointName, Schema>;

const bad = (code: string, message: string, reason = "params") => newRefusal(400, code, message, reason);

/** A card call's input. */
interface CardCall<K extends CardEndpointName> {
  args: CardEndpointRequest<K>;
  app: AppRecord;
  ctx: EmulatorContext;
  now: number;
}

/** Installs the card routes; before the app API's `/v1.0/*` catch-all, which answers a wrong method 404. */
export const installCardApi: RouteInstaller = (app: Hono, ctx: EmulatorContext) => {
  for (const name of CARD_ENDPOINT_NAMES) {
    const spec = CARD_ENDPOINTS[name];
    app.on(spec.method, spec.path, async (c) => {
      const caller: { app?: AppRecord } = {};
      try {
        return await serve(name, c, ctx, caller);
      } catch (error) {
        if (error instanceof DingTalkRefusal) {
          return refuseCardCall(c, ctx, `${spec.method} ${spec.path}`, error, caller.app);
        }
        throw error;
      }
    });
  }
};

async function serve(
  name: CardEndpointName,
  c: Context,
  ctx: EmulatorContext,
  caller: { app?: AppRecord },
): Promise<Response> {
  const spec = CARD_ENDPOINTS[name];
  const now = ctx.options.now();
  const app = authenticateCardCall(c, ctx, now);
  caller.app = app;
  const scope = SCOPE_OF[name];
  if (!ctx.cards.granted(app.appKey).includes(scope)) throw permissionDenied(scope);
  admitCardCall(ctx, app, name, now);
  const body = await readCardBody(c);
  precheck(name, body);
  const checked = check(LENIENT[name], body);
  if (!checked.ok) throw bad("param.invalid", `参数错误: ${formatIssues(checked.issues)}`);
  const args = checked.value as CardEndpointRequest<CardEndpointName>;
  const answer = HANDLERS[name]({ args, app, ctx, now } as never);
  return answerChecked(c, name, spec.response, answer);
}

/** The app whose token is in the header, as the rest of the new API checks it. */
export function authenticateCardCall(c: Context, ctx: EmulatorContext, now: number): AppRecord {
  const result = ctx.appApi.tokens.verify(c.req.header(ACCESS_TOKEN_HEADER), now);
  const app = result.ok ? ctx.store.apps.get(result.record.appKey) : undefined;
  if (result.ok && app) return app;
  if (!result.ok && result.problem === "missing") {
    throw bad("AuthenticationFailed.MissingParameter", "缺少参数 x-acs-dingtalk-access-token", "token");
  }
  throw bad("InvalidAuthentication", "不合法的access_token", "token");
}

/**
 * Refuses (403 QpsLimitForAppkeyAndApi) an injected card-qps fault, or the app's calls to this API in the last
 * second past cardQps; otherwise counts the call.
 * @param api - the API the call is counted against (the endpoint name, or the legacy API's name)
 */
export function admitCardCall(ctx: EmulatorContext, app: AppRecord, api: string, now: number): void {
  const fault = ctx.webhook.faults.takeCard(app.appKey) !== undefined;
  if (fault || !ctx.cards.admit(app.appKey, api, ctx.options.cardQps, now)) {
    throw newRefusal(
      403,
      "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
      "应用调用该接口的频率超过限制 (too many calls of this app to this API per second)",
      fault ? "fault" : "rate-limit",
    );
  }
}

/** 403 for an app without the permission, with the scope it needs (as DingTalk answers it). */
function permissionDenied(scope: CardScope): DingTalkRefusal {
  const refusal = newRefusal(
    403,
    "Forbidden.AccessDenied.AccessTokenPermissionDenied",
    `没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp-server/add-api-permission (requires ${scope})`,
    "permission",
  );
  refusal.body.accessdenieddetail = { requiredScopes: [scope] };
  return refusal;
}

/** Reads the JSON body: capped, nesting capped; an empty or non-object body is DingTalk's `param.empty`. */
export async function readCardBody(c: Context): Promise<Record<string, unknown>> {
  const read = await readCappedBody(c, MAX_BODY_BYTES).catch(() => undefined);
  if (!read) throw bad("param.invalid", "the request body could not be read", "body");
  if (!read.ok) throw bad("param.invalid", `body larger than ${MAX_BODY_BYTES} bytes`, "body");
  const text = new TextDecoder().decode(read.bytes);
  if (text.trim() === "") throw bad("param.empty", "入参为空 (the body is empty)", "body");
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw bad(
      "param.invalid",
      parsed.reason === "too-deep" ? parsed.message : "body is not valid JSON",
      "body",
    );
  }
  const value = parsed.value;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw bad("param.empty", "入参为空 (the body is not a JSON object)", "body");
  }
  return value as Record<string, unknown>;
}

const blank = (value: unknown) => typeof value !== "string" || value.trim() === "";

/** DingTalk's own codes for a missing template, outTrackId or card data (its create page lists them). */
function precheck(name: CardEndpointName, body: Record<string, unknown>): void {
  if (name === "card.registerCallback") return;
  const creates = name === "card.create" || name === "card.createAndDeliver";
  if (creates && blank(body.cardTemplateId)) throw bad("param.cardTemplateIdEmpty", "卡片模版 Id 为空");
  if (blank(body.outTrackId)) throw bad("param.outTrackIdEmpty", "业务标识 outTrackId 为空");
  const cardData = body.cardData as { cardParamMap?: unknown } | undefined;
  if (creates && (!cardData || typeof cardData !== "object" || cardData.cardParamMap === undefined)) {
    throw bad("param.cardPublicDataEmpty", "卡片公共数据为空 (cardData.cardParamMap)");
  }
}

/** The app's card with this outTrackId, or DingTalk's refusal. */
function findCard(ctx: EmulatorContext, app: AppRecord, outTrackId: string): CardInstance {
  const card = ctx.cards.instances.get(outTrackId);
  if (!card || card.appKey !== app.appKey) {
    throw bad("param.invalid", `卡片不存在: no card with outTrackId ${outTrackId}`, "card");
  }
  return card;
}

/** Refuses data over the emulator's card data limit. */
function checkSize(ctx: EmulatorContext, card: Pick<CardInstance, "cardParamMap" | "privateData">): void {
  const max = ctx.options.cardDataMaxBytes;
  if (cardDataBytes(card) > max)
    throw bad("param.invalid", `卡片数据过大: card data larger than ${max} bytes`);
}

function createCard(call: CardCall<"card.create" | "card.createAndDeliver">): CardInstance {
  const { args, app, ctx, now } = call;
  if (!ctx.cards.templates.has(args.cardTemplateId)) {
    // What DingTalk answers for a template it cannot use (dify-on-dingtalk#2): an unknown id is the same.
    throw bad("param.templateUnpublished", "param.templateUnpublished", "template");
  }
  if (ctx.cards.instances.has(args.outTrackId)) {
    throw bad("param.invalid", `outTrackId ${args.outTrackId} is already used by another card`, "card");
  }
  const privateData: CardInstance["privateData"] = {};
  for (const [userId, data] of Object.entries(args.privateData ?? {}))
    privateData[userId] = { ...data.cardParamMap };
  const card = newCardInstance(
    {
      outTrackId: args.outTrackId,
      appKey: app.appKey,
      cardTemplateId: args.cardTemplateId,
      cardParamMap: { ...args.cardData.cardParamMap },
      privateData,
      callbackType: args.callbackType ?? "STREAM",
      ...(args.callbackRouteKey ? { callbackRouteKey: args.callbackRouteKey } : {}),
    },
    now,
  );
  checkSize(ctx, card);
  ctx.cards.instances.set(card.outTrackId, card);
  return card;
}

/** Delivers, and brings the card's earlier messages up to date (they list where the card shows). */
function deliver(
  ctx: EmulatorContext,
  app: AppRecord,
  card: CardInstance,
  args: CardEndpointRequest<"card.deliver">,
  announce: boolean,
): DeliverResult[] {
  const before = card.deliveries.length;
  const results = deliverCard(ctx, app, card, args.openSpaceId, args);
  if (before > 0 && card.deliveries.length > before) {
    for (const delivery of card.deliveries.slice(0, before)) {
      ctx.store.replaceMessageBody(delivery.messageId, cardMessageBody(ctx, card));
    }
  }
  // A card created earlier now shows somewhere new (a card created by this call is announced as created).
  if (announce && card.deliveries.length > before) ctx.cards.updated(card);
  return results.map(({ errorMsg, carrierId, ...rest }) => ({
    ...rest,
    ...(errorMsg !== undefined ? { errorMsg } : {}),
    ...(carrierId !== undefined ? { carrierId } : {}),
  }));
}

type Handlers = { [K in CardEndpointName]: (call: CardCall<K>) => unknown };

/** One handler per card endpoint: a new entry in `CARD_ENDPOINTS` fails the build until it is here. */
const HANDLERS: Handlers = {
  "card.create": (call) => {
    const card = createCard(call);
    call.ctx.cards.created(card);
    return { success: true, result: card.outTrackId };
  },
  "card.deliver": ({ args, app, ctx }) => {
    const card = findCard(ctx, app, args.outTrackId);
    return { success: true, result: deliver(ctx, app, card, args, true) };
  },
  "card.createAndDeliver": (call) => {
    const card = createCard(call);
    const deliverResults = deliver(call.ctx, call.app, card, call.args, false);
    // Announced once it shows where it was delivered.
    call.ctx.cards.created(card);
    return { success: true, result: { outTrackId: card.outTrackId, deliverResults } };
  },
  "card.update": ({ args, app, ctx, now }) => {
    const card = findCard(ctx, app, args.outTrackId);
    const next = { cardParamMap: { ...card.cardParamMap }, privateData: structuredClone(card.privateData) };
    applyCardData(next as CardInstance, {
      cardParamMap: args.cardData?.cardParamMap,
      privateData: args.privateData,
      byKey: args.cardUpdateOptions?.updateCardDataByKey === true,
      privateByKey: args.cardUpdateOptions?.updatePrivateDataByKey === true,
    });
    checkSize(ctx, next);
    card.cardParamMap = next.cardParamMap;
    card.privateData = next.privateData;
    card.updates += 1;
    card.updatedAt = now;
    cardChanged(ctx, card);
    return { success: true, result: true };
  },
  "card.streaming": ({ args, app, ctx, now }) => {
    const card = findCard(ctx, app, args.outTrackId);
    // guid is the call's idempotency key: a repeat (a client's retry) is answered alike and changes nothing.
    if (card.guids.has(args.guid)) return { success: true, result: true };
    if (card.finalizedKeys.has(args.key)) {
      throw bad(
        "param.invalid",
        `the streaming of ${args.key} was finalized (isFinalize); use PUT /v1.0/card/instances`,
        "card",
      );
    }
    const content = args.isFull ? args.content : (card.cardParamMap[args.key] ?? "") + args.content;
    checkSize(ctx, {
      cardParamMap: { ...card.cardParamMap, [args.key]: content },
      privateData: card.privateData,
    });
    card.cardParamMap = { ...card.cardParamMap, [args.key]: content };
    card.guids.add(args.guid);
    if (args.isFinalize) card.finalizedKeys.add(args.key);
    card.updates += 1;
    card.updatedAt = now;
    cardChanged(ctx, card);
    return { success: true, result: true };
  },
  "card.registerCallback": ({ args, app, ctx }) => {
    if (!/^https?:\/\//i.test(args.callbackUrl))
      throw bad("param.invalid", "callbackUrl must be an http(s) URL");
    const existing = ctx.cards.route(app.appKey, args.callbackRouteKey);
    if (existing && existing.callbackUrl !== args.callbackUrl && args.forceUpdate !== true) {
      throw bad(
        "param.invalid",
        `callbackRouteKey ${args.callbackRouteKey} is registered with another URL; set forceUpdate to replace it`,
      );
    }
    const apiSecret = args.apiSecret || existing?.apiSecret || randomBytes(16).toString("hex");
    ctx.cards.setRoute({
      appKey: app.appKey,
      callbackRouteKey: args.callbackRouteKey,
      callbackUrl: args.callbackUrl,
      apiSecret,
    });
    return { success: true, result: { callbackUrl: args.callbackUrl, apiSecret } };
  },
};

/** Answers a refusal with DingTalk's body and records it (never a token or secret: code and message only). */
export function refuseCardCall(
  c: Context,
  ctx: EmulatorContext,
  endpoint: string,
  refusal: DingTalkRefusal,
  app: AppRecord | undefined,
): Response {
  ctx.store.recordRejection({
    endpoint,
    ...(app ? { subject: app.name } : {}),
    errcode: String(refusal.body.code),
    errmsg: String(refusal.body.message ?? ""),
    reason: refusal.reason,
  });
  return c.json(refusal.body, refusal.status as 400);
}
