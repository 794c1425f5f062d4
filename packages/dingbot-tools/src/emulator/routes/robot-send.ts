/**
 * What `POST /robot/send` does once a request is in hand, whichever server carried it: the Hono route
 * (`webhook.ts`, also under `app.request()`) or the node:http fast route (`webhook-fast.ts`). One
 * implementation of the checks, in DingTalk's order: method → token → 加签 → IP whitelist → Content-Type →
 * size → JSON → msgtype → fields → keywords → msgUuid → rate window → record. Injected faults are acted out
 * before this, by the Hono route only.
 * @module
 */
import { createHash } from "node:crypto";
import { ROBOT_SEND_PATH, WEBHOOK_MAX_BODY_BYTES, webhookToken } from "dingbot-sdk/protocol";
import type { QueryParams } from "../../http/query-params.js";
import type { BodyRead } from "../../http/read-body.js";
import type { EmulatorContext } from "../context.js";
import { checkIp, checkKeywords, checkSign, displayIp, type SecurityFailure } from "../security.js";
import type { RobotRecord, Sender } from "../store.js";
import { RATE_LIMIT_ERRMSGS, securityErrmsg } from "../webhook-errmsgs.js";
import {
  CONTENT_TYPE_REFUSAL,
  isJsonContentType,
  messageFromBody,
  type Refusal,
  recordRefusal,
  type WebhookAnswer,
} from "./webhook-request.js";

/** How many recent msgUuid keys the emulator remembers per robot. */
const MSG_UUID_MEMORY = 10_000;

/** What `/robot/send` needs of a request, whichever server carried it. */
export interface RobotSendRequest {
  /** The HTTP method, upper case. */
  readonly method: string;
  /** The query, decoded once with form rules ('+' is a space), which is how quote_plus encodes. */
  readonly query: QueryParams;
  /** The Content-Type header, if sent. */
  readonly contentType: string | undefined;
  /** The client's address from the socket; undefined when there is no socket (`app.request()`). */
  clientAddress(): string | undefined;
  /**
   * Reads the body, stopping once it passes `limit` bytes.
   * @throws when the client hangs up before the body ended
   */
  readBody(limit: number): Promise<BodyRead>;
}

/** DingTalk's success answer; the same object every time, so a server may send {@link OK_TEXT} for it. */
export const OK_ANSWER: Readonly<WebhookAnswer> = Object.freeze({ errcode: 0, errmsg: "ok" });

/** `JSON.stringify(OK_ANSWER)`, computed once. */
export const OK_TEXT = JSON.stringify(OK_ANSWER);

/**
 * Handles one `/robot/send` request after the fault check: every check, the rate window and the message
 * record. Refusals are recorded for the control API.
 * @param request - the request, from either server
 * @param ctx - the emulator
 * @returns DingTalk's answer ({@link OK_ANSWER} when the message was accepted or was a repeated msgUuid)
 */
export async function robotSend(request: RobotSendRequest, ctx: EmulatorContext): Promise<WebhookAnswer> {
  const { store, options } = ctx;
  const query = request.query;
  if (request.method !== "POST") {
    return refuse(ctx, request, undefined, { errcode: 43002, errmsg: "需要POST请求", reason: "method" });
  }
  const accessToken = webhookToken(query);
  if (!accessToken) {
    return refuse(ctx, request, undefined, {
      errcode: 40035,
      errmsg: "缺少参数 access_token",
      reason: "token",
    });
  }
  const robot = store.robots.get(accessToken);
  if (!robot) {
    return refuse(ctx, request, undefined, {
      errcode: 300005,
      errmsg: "token is not exist",
      reason: "token",
    });
  }

  if (robot.secret) {
    const failure = checkSign(
      robot.secret,
      query.get("timestamp") ?? undefined,
      query.get("sign") ?? undefined,
      options.now(),
    );
    if (failure) return refuseSecurity(ctx, request, robot, failure);
  }
  if (robot.ipWhitelist.length > 0) {
    const failure = checkIp(robot.ipWhitelist, request.clientAddress());
    if (failure) return refuseSecurity(ctx, request, robot, failure);
  }

  if (!isJsonContentType(request.contentType)) return refuse(ctx, request, robot, CONTENT_TYPE_REFUSAL);
  let read: BodyRead | undefined;
  try {
    read = await request.readBody(WEBHOOK_MAX_BODY_BYTES);
  } catch {
    // A client that hung up mid-body gets no answer anyway; refuse quietly.
    read = undefined;
  }
  const message = messageFromBody(read);
  if (!message.ok) return refuse(ctx, request, robot, message);
  const body = message.body;
  const keywordFailure = checkKeywords(robot.keywords, body);
  if (keywordFailure) return refuseSecurity(ctx, request, robot, keywordFailure);

  // msgUuid is DingTalk's idempotency key: a retry with the same value is acknowledged but not repeated.
  const runtime = ctx.webhook;
  const msgUuid = typeof body.msgUuid === "string" && body.msgUuid !== "" ? body.msgUuid : undefined;
  let seen = msgUuid !== undefined ? runtime.msgUuids.get(accessToken) : undefined;
  if (msgUuid !== undefined && seen?.has(msgUuid)) return OK_ANSWER;
  const decision = runtime.rate.take(accessToken, options.now());
  if (!decision.ok) {
    // DingTalk's throttling code is uncertain (protocol 1.7): the robot's own choice, else the emulator's.
    const errcode = robot.rateLimitErrcode ?? options.rateLimitErrcode;
    return refuse(ctx, request, robot, {
      errcode,
      errmsg: RATE_LIMIT_ERRMSGS[errcode],
      reason: "rate-limit",
    });
  }
  if (msgUuid !== undefined) {
    if (!seen) {
      seen = new Set();
      runtime.msgUuids.set(accessToken, seen);
    }
    seen.add(msgUuid);
    // Remember only the most recent keys, so a long-running emulator does not grow without bound;
    // a Set iterates in insertion order, so the first key is the oldest.
    if (seen.size > MSG_UUID_MEMORY) seen.delete(seen.values().next().value as string);
  }

  store.recordMessage({
    conversationId: robot.conversationId,
    sender: robotSender(robot),
    via: "webhook",
    body,
    accessToken,
  });
  return OK_ANSWER;
}

/**
 * A short, stable id for a robot in message records that does not reveal its token.
 * @param accessToken - the robot's token
 */
export function robotSenderId(accessToken: string): string {
  return `robot-${createHash("sha256").update(accessToken).digest("hex").slice(0, 10)}`;
}

// A robot's token never changes, so its hashed id is computed once per robot record, not per message.
const senderIds = new WeakMap<RobotRecord, string>();

/** The sender of a robot's message records (a new object each time: records are mutable). */
function robotSender(robot: RobotRecord): Sender {
  let id = senderIds.get(robot);
  if (id === undefined) {
    id = robotSenderId(robot.accessToken);
    senderIds.set(robot, id);
  }
  return { kind: "robot", id, name: robot.name };
}

function refuse(
  ctx: EmulatorContext,
  request: RobotSendRequest,
  robot: RobotRecord | undefined,
  refusal: Refusal,
): WebhookAnswer {
  return recordRefusal(ctx.store, `${request.method} ${ROBOT_SEND_PATH}`, robot?.name, refusal);
}

// 310000 in the wording the emulator was told to use (DingTalk's present texts by default).
function refuseSecurity(
  ctx: EmulatorContext,
  request: RobotSendRequest,
  robot: RobotRecord,
  failure: SecurityFailure,
): WebhookAnswer {
  return refuse(ctx, request, robot, {
    errcode: 310000,
    reason: failure.reason,
    errmsg: securityErrmsg(failure, ctx.options.errmsgStyle, displayIp(request.clientAddress())),
  });
}
