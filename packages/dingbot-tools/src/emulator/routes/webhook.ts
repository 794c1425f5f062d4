/**
 * `POST /robot/send?access_token=…[&timestamp=…&sign=…]`: the group custom robot (protocol section 1).
 * Always HTTP 200 with `errcode`/`errmsg`; checks run in the order method → token → 加签 → IP whitelist →
 * Content-Type → size → JSON → msgtype → fields → keywords → rate window.
 * @module
 */
import { createHash } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import { ROBOT_SEND_PATH, WEBHOOK_MAX_BODY_BYTES, webhookToken } from "dingbot-sdk/protocol";
import type { Context } from "hono";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { checkIp, checkKeywords, checkSign, displayIp, type SecurityFailure } from "../security.js";
import type { RobotRecord } from "../store.js";
import { RATE_LIMIT_ERRMSGS, securityErrmsg } from "../webhook-errmsgs.js";
import { applyFault } from "./webhook-faults.js";
import { type Refusal, readMessageBody, refuseWebhook } from "./webhook-request.js";

/** How many recent msgUuid keys the emulator remembers per robot. */
const MSG_UUID_MEMORY = 10_000;

/** The errmsg DingTalk answers when a robot is throttled with errcode 410100 (the default). */
export const RATE_LIMIT_ERRMSG = RATE_LIMIT_ERRMSGS[410100];

/** Installs `/robot/send`. */
export const installWebhook: RouteInstaller = (app, ctx) => {
  app.all(ROBOT_SEND_PATH, (c) => handleSend(c, ctx));
};

/**
 * A short, stable id for a robot in message records that does not reveal its token.
 * @param accessToken - the robot's token
 */
export function robotSenderId(accessToken: string): string {
  return `robot-${createHash("sha256").update(accessToken).digest("hex").slice(0, 10)}`;
}

/**
 * The client's address from the socket; undefined under `app.request()` unless the caller passes
 * `{ incoming: { socket: { remoteAddress } } }` as the env.
 */
export function clientAddress(c: Context): string | undefined {
  // Without a socket (app.request() with no env) getConnInfo would throw; exceptions are slow on a hot path.
  const env = c.env as
    | { incoming?: { socket?: unknown }; server?: { incoming?: { socket?: unknown } } }
    | undefined;
  if (!env?.incoming?.socket && !env?.server?.incoming?.socket) return undefined;
  return getConnInfo(c).remote.address;
}

async function handleSend(c: Context, ctx: EmulatorContext): Promise<Response> {
  const { store, options } = ctx;
  const endpoint = `${c.req.method} ${ROBOT_SEND_PATH}`;
  // URLSearchParams decodes exactly once with form rules ('+' is a space), which is how quote_plus encodes.
  const query = new URL(c.req.url).searchParams;
  const accessToken = webhookToken(query);
  let robot: RobotRecord | undefined;
  const refuse = (refusal: Refusal): Response => refuseWebhook(c, store, endpoint, robot?.name, refusal);
  // 310000 in the wording the emulator was told to use (DingTalk's present texts by default).
  const refuseSecurity = (failure: SecurityFailure): Response =>
    refuse({
      errcode: 310000,
      reason: failure.reason,
      errmsg: securityErrmsg(failure, options.errmsgStyle, displayIp(clientAddress(c))),
    });

  const faulted = await applyFault(c, ctx, accessToken, endpoint);
  if (faulted) return faulted;
  if (c.req.method !== "POST") return refuse({ errcode: 43002, errmsg: "需要POST请求", reason: "method" });
  if (!accessToken) return refuse({ errcode: 40035, errmsg: "缺少参数 access_token", reason: "token" });
  robot = store.robots.get(accessToken);
  if (!robot) return refuse({ errcode: 300005, errmsg: "token is not exist", reason: "token" });

  if (robot.secret) {
    const failure = checkSign(
      robot.secret,
      query.get("timestamp") ?? undefined,
      query.get("sign") ?? undefined,
      options.now(),
    );
    if (failure) return refuseSecurity(failure);
  }
  const ipFailure = robot.ipWhitelist.length > 0 ? checkIp(robot.ipWhitelist, clientAddress(c)) : undefined;
  if (ipFailure) return refuseSecurity(ipFailure);

  const read = await readMessageBody(c, WEBHOOK_MAX_BODY_BYTES);
  if (!read.ok) return refuse(read);
  const body = read.body;
  const keywordFailure = checkKeywords(robot.keywords, body);
  if (keywordFailure) return refuseSecurity(keywordFailure);

  // msgUuid is DingTalk's idempotency key: a retry with the same value is acknowledged but not repeated.
  const runtime = ctx.webhook;
  const msgUuid = typeof body.msgUuid === "string" && body.msgUuid !== "" ? body.msgUuid : undefined;
  let seen = runtime.msgUuids.get(accessToken);
  if (msgUuid !== undefined && seen?.has(msgUuid)) return c.json({ errcode: 0, errmsg: "ok" });
  const decision = runtime.rate.take(accessToken, options.now());
  if (!decision.ok) {
    // DingTalk's throttling code is uncertain (protocol 1.7): the robot's own choice, else the emulator's.
    const errcode = robot.rateLimitErrcode ?? options.rateLimitErrcode;
    return refuse({ errcode, errmsg: RATE_LIMIT_ERRMSGS[errcode], reason: "rate-limit" });
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
    sender: { kind: "robot", id: robotSenderId(accessToken), name: robot.name },
    via: "webhook",
    body,
    accessToken,
  });
  return c.json({ errcode: 0, errmsg: "ok" });
}
