/**
 * Reading and validating a robot message request, shared by `/robot/send` and `/robot/sendBySession`:
 * Content-Type, the 20000-byte limit, JSON, msgtype and the message schema, each with DingTalk's errcode.
 * @module
 */
import type { IncomingMessage } from "node:http";
import { check, parseJson, ROBOT_MSGTYPES, RobotMessageBodySchema } from "dingbot-sdk/protocol";
import type { Context } from "hono";

/** A refusal in DingTalk's words plus the emulator's reason category. */
export interface Refusal {
  errcode: number;
  errmsg: string;
  reason: string;
}

/** The errmsg DingTalk answers for a body over the limit (errcode 460101). */
export const BODY_TOO_LARGE_ERRMSG = "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;";

/** Result of {@link readCappedBody}. */
export type CappedBody = { ok: true; bytes: Uint8Array } | { ok: false; tooLarge: true };

/**
 * Reads a request body, stopping as soon as it exceeds `limit` bytes so a huge upload cannot fill memory.
 * Under @hono/node-server it reads the Node request directly: turning it into a web stream first costs
 * more than the rest of the handler.
 * @param source - the Hono context (fast path under node-server), or a plain Fetch request
 * @param limit - largest accepted size in bytes
 * @returns the bytes, or `tooLarge`
 */
export async function readCappedBody(source: Context | Request, limit: number): Promise<CappedBody> {
  const isContext = "req" in source && "env" in source;
  const request = isContext ? source.req.raw : (source as Request);
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) return { ok: false, tooLarge: true };
  const incoming = isContext
    ? (source.env as { incoming?: IncomingMessage } | undefined)?.incoming
    : undefined;
  if (incoming && typeof incoming.on === "function" && !incoming.readableDidRead && !incoming.readableEnded) {
    return readIncoming(incoming, limit);
  }
  return readWebBody(request, limit);
}

function readIncoming(incoming: IncomingMessage, limit: number): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        // Discard the rest instead of destroying the socket, so the answer still reaches the client.
        incoming.resume();
        resolve({ ok: false, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ ok: true, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    // A client that hangs up mid-body may close without 'end' or 'error'; do not wait forever.
    const onClose = () => {
      cleanup();
      reject(new Error("the client closed the connection before the body ended"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

async function readWebBody(request: Request, limit: number): Promise<CappedBody> {
  if (!request.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, tooLarge: true };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/** Whether a Content-Type header is JSON (`application/json`, any parameters, any case). */
export function isJsonContentType(header: string | null): boolean {
  return header !== null && header.split(";")[0]!.trim().toLowerCase() === "application/json";
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Validates a robot message request after the token/session is known: Content-Type (43004), size (460101),
 * JSON (40035 缺少参数 json), msgtype (300001 missing, 400105 unknown) and the message's fields (40035).
 * @param c - the Hono context
 * @param maxBytes - the body limit (20000)
 * @returns the parsed body exactly as sent, or DingTalk's refusal
 */
export async function readMessageBody(
  c: Context,
  maxBytes: number,
): Promise<{ ok: true; body: Record<string, unknown> } | ({ ok: false } & Refusal)> {
  if (!isJsonContentType(c.req.header("content-type") ?? null)) {
    return { ok: false, errcode: 43004, errmsg: "无效的HTTP HEADER Content-Type", reason: "content-type" };
  }
  // A client that hung up mid-body gets no answer anyway; refuse quietly instead of throwing into Hono.
  const read = await readCappedBody(c, maxBytes).catch(() => undefined);
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
  const result = check(RobotMessageBodySchema, body);
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
