/**
 * Reading and validating a robot message request, shared by `/robot/send` and `/robot/sendBySession`:
 * Content-Type, the 20000-byte limit, JSON, msgtype and the message schema, each with DingTalk's errcode.
 * @module
 */
import { parseJson, ROBOT_MSGTYPES, readRobotMessageBody } from "dingbot-sdk/protocol";
import type { Context } from "hono";
import { type BodyRead, readCappedBody } from "../../http/read-body.js";
import type { EmulatorStore } from "../store.js";

/** A refusal in DingTalk's words plus the emulator's reason category. */
export interface Refusal {
  errcode: number;
  errmsg: string;
  reason: string;
}

/** DingTalk's answer to a robot message request: `{ errcode, errmsg }`, always with HTTP 200. */
export interface WebhookAnswer {
  errcode: number;
  errmsg: string;
}

/**
 * Records a refused webhook call for the control API and returns DingTalk's answer to it.
 * @param store - where rejections are recorded
 * @param endpoint - e.g. `POST /robot/send`
 * @param subject - the robot or app the call was for, once known
 * @param refusal - DingTalk's errcode and errmsg, and the emulator's reason
 */
export function recordRefusal(
  store: EmulatorStore,
  endpoint: string,
  subject: string | undefined,
  refusal: Refusal,
): WebhookAnswer {
  store.recordRejection({
    endpoint,
    ...(subject ? { subject } : {}),
    errcode: refusal.errcode,
    errmsg: refusal.errmsg,
    reason: refusal.reason,
  });
  return { errcode: refusal.errcode, errmsg: refusal.errmsg };
}

/**
 * Answers a refused webhook call in DingTalk's way (HTTP 200, `{ errcode, errmsg }`) and records the
 * rejection for the control API.
 * @param c - the Hono context
 * @param store - where rejections are recorded
 * @param endpoint - e.g. `POST /robot/send`
 * @param subject - the robot or app the call was for, once known
 * @param refusal - DingTalk's errcode and errmsg, and the emulator's reason
 */
export function refuseWebhook(
  c: Context,
  store: EmulatorStore,
  endpoint: string,
  subject: string | undefined,
  refusal: Refusal,
): Response {
  return c.json(recordRefusal(store, endpoint, subject, refusal));
}

/** The errmsg DingTalk answers for a body over the limit (errcode 460101). */
export const BODY_TOO_LARGE_ERRMSG = "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;";

/** Whether a Content-Type header is JSON (`application/json`, any parameters, any case). */
export function isJsonContentType(header: string | null | undefined): boolean {
  // The exact form is what nearly every client sends; it needs no splitting.
  if (header === "application/json") return true;
  return (
    header !== null &&
    header !== undefined &&
    header.split(";")[0]!.trim().toLowerCase() === "application/json"
  );
}

/** The refusal of a message request whose Content-Type is not JSON (43004). */
export const CONTENT_TYPE_REFUSAL: Readonly<Refusal> = Object.freeze({
  errcode: 43004,
  errmsg: "无效的HTTP HEADER Content-Type",
  reason: "content-type",
});

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A message body as read, or DingTalk's refusal of it. */
export type MessageRead = { ok: true; body: Record<string, unknown> } | ({ ok: false } & Refusal);

/**
 * Validates a robot message request after the token/session is known: Content-Type (43004), size (460101),
 * JSON (40035 缺少参数 json), msgtype (300001 missing, 400105 unknown) and the message's fields (40035).
 * @param c - the Hono context
 * @param maxBytes - the body limit (20000)
 * @returns the parsed body exactly as sent, or DingTalk's refusal
 */
export async function readMessageBody(c: Context, maxBytes: number): Promise<MessageRead> {
  if (!isJsonContentType(c.req.header("content-type"))) return { ok: false, ...CONTENT_TYPE_REFUSAL };
  // A client that hung up mid-body gets no answer anyway; refuse quietly instead of throwing into Hono.
  const read = await readCappedBody(c, maxBytes).catch(() => undefined);
  return messageFromBody(read);
}

/**
 * The size (460101), JSON (40035 缺少参数 json), msgtype (300001 missing, 400105 unknown) and field (40035)
 * checks of a robot message body that was read with a cap.
 * @param read - the capped read, or undefined when the client hung up mid-body
 * @returns the parsed body exactly as sent, or DingTalk's refusal
 */
export function messageFromBody(read: BodyRead | undefined): MessageRead {
  if (!read) return { ok: false, errcode: 40035, errmsg: "缺少参数 json", reason: "body" };
  if (!read.ok) return { ok: false, errcode: 460101, errmsg: BODY_TOO_LARGE_ERRMSG, reason: "body" };
  let parsed: unknown;
  try {
    // Nesting is capped: a body nested thousands deep parses, but every later JSON.stringify of the
    // stored message (the message list, the page's snapshot) would overflow the stack.
    const result = parseJson(decoder.decode(read.bytes));
    parsed = result.ok ? result.value : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    // An empty, non-UTF-8, non-JSON or absurdly nested body: DingTalk's parameter error for a missing body
    // (what it answers to any body it cannot read as a message).
    return { ok: false, errcode: 40035, errmsg: "缺少参数 json", reason: "body" };
  }
  const body = parsed as Record<string, unknown>;
  const refusal = checkMessage(body);
  return refusal ? { ok: false, ...refusal } : { ok: true, body };
}

/**
 * Checks msgtype and fields of a parsed robot message body.
 * @param body - the parsed JSON object
 * @returns the refusal, or undefined when the message is valid
 */
export function checkMessage(body: Record<string, unknown>): Refusal | undefined {
  const msgtype = body.msgtype;
  if (msgtype === undefined || msgtype === null || msgtype === "") {
    return { errcode: 300001, errmsg: "msgtype is null", reason: "msgtype" };
  }
  if (typeof msgtype !== "string" || !(ROBOT_MSGTYPES as readonly string[]).includes(msgtype)) {
    return { errcode: 400105, errmsg: "不支持的消息类型，请使用文档中支持的消息类型", reason: "msgtype" };
  }
  // The hand-checked reader answers as RobotMessageBodySchema does, without zod for text and markdown.
  const result = readRobotMessageBody(body);
  if (result.ok) return undefined;
  const issue = result.issues[0]!;
  const missing = valueAt(body, issue.path) === undefined;
  return {
    errcode: 40035,
    errmsg: missing ? `缺少参数 ${issue.path}` : `参数不合法 ${issue.path}: ${issue.message}`,
    reason: "body",
  };
}

/** The value at a dotted path such as `actionCard.btns.0.title`. */
function valueAt(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
