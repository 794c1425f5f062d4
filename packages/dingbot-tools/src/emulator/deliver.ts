/**
 * Delivers a person's message to an app robot's bot as DingTalk does: a signed HTTP callback (protocol
 * section 2.1, retried with the same msgId after 5xx or timeouts) or a Stream CALLBACK frame.
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  CALLBACK_SIGN_HEADER,
  CALLBACK_TIMESTAMP_HEADER,
  CARD_SIGNATURE_HEADER,
  CARD_SIGNATURE_TIMESTAMP_HEADER,
  check,
  formatIssues,
  parseJson,
  RobotMessageBodySchema,
  sign,
  signCardCallback,
} from "dingbot-sdk/protocol";
import type { DeliveryResult, EmulatorContext } from "./context.js";
import type { AppRecord } from "./store.js";

/** Settings of {@link deliverHttp}. */
export interface HttpDeliveryOptions {
  /** The bot's callback URL. */
  url: string;
  /** The app's secret: the key of the `sign` header. */
  appSecret: string;
  /** The callback body. */
  body: Record<string, unknown>;
  /** Per-attempt timeout in ms (response headers and body). */
  timeoutMs: number;
  /** Attempts in all. */
  attempts: number;
  /** Wait before the first retry in ms; doubled for each further retry. */
  retryDelayMs: number;
  /** Clock for the `timestamp` header (the emulator's clock). */
  now: () => number;
  fetch?: typeof fetch;
}

/** Outcome of one attempt: done (with or without a reply), retryable, or final failure. */
type Attempt =
  | { kind: "done"; inlineReply?: Record<string, unknown>; error?: string }
  | { kind: "retry"; error: string }
  | { kind: "fail"; error: string };

/**
 * POSTs the callback, signed afresh for every attempt, and reads the bot's inline reply.
 * A 2xx answer is delivered; its body is a reply when it is a robot message, nothing when it is empty,
 * `{"msgtype":"empty"}` or a 204. 5xx, timeouts and unreachable bots are retried; other statuses are not.
 * @param options - where, what and how patiently
 */
export async function deliverHttp(options: HttpDeliveryOptions): Promise<DeliveryResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const payload = JSON.stringify(options.body);
  let lastError = "not attempted";
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await sleep(options.retryDelayMs * 2 ** (attempt - 2));
    const outcome = await attemptOnce(doFetch, options, payload);
    if (outcome.kind === "done") {
      return {
        delivered: true,
        attempts: attempt,
        ...(outcome.inlineReply ? { inlineReply: outcome.inlineReply } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      };
    }
    lastError = outcome.error;
    if (outcome.kind === "fail") return { delivered: false, attempts: attempt, error: lastError };
  }
  return { delivered: false, attempts: options.attempts, error: lastError };
}

async function attemptOnce(
  doFetch: typeof fetch,
  options: HttpDeliveryOptions,
  payload: string,
): Promise<Attempt> {
  const timestamp = String(options.now());
  const signatureHeaders = {
    [CALLBACK_TIMESTAMP_HEADER]: timestamp,
    // Raw base64 in a header: no URL-encoding, unlike the custom robot's query parameter.
    [CALLBACK_SIGN_HEADER]: sign(options.appSecret, timestamp),
  };
  const posted = await postSigned(doFetch, options.url, signatureHeaders, payload, options.timeoutMs);
  if (posted.kind === "timeout") {
    return { kind: "retry", error: `the bot did not answer within ${options.timeoutMs} ms` };
  }
  if (posted.kind === "unreachable") {
    return { kind: "retry", error: `cannot reach the bot's callback URL: ${posted.cause}` };
  }
  if (posted.status >= 500) return { kind: "retry", error: `the bot answered HTTP ${posted.status}` };
  if (posted.status < 200 || posted.status >= 300) {
    return { kind: "fail", error: `the bot answered HTTP ${posted.status}` };
  }
  return readInlineReply(posted.text);
}

/** What one signed POST came to: an answer (any status, its body read), a timeout, or no connection. */
type PostOutcome =
  | { kind: "answered"; status: number; text: string }
  | { kind: "timeout" }
  | { kind: "unreachable"; cause: string };

/**
 * POSTs a JSON payload with the given signature headers, waiting at most `timeoutMs` for the headers and body.
 * @param signatureHeaders - the scheme's timestamp and signature headers, sent after Content-Type
 */
async function postSigned(
  doFetch: typeof fetch,
  url: string,
  signatureHeaders: Record<string, string>,
  payload: string,
  timeoutMs: number,
): Promise<PostOutcome> {
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8", ...signatureHeaders },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { kind: "answered", status: response.status, text: await response.text() };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError") return { kind: "timeout" };
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { kind: "unreachable", cause };
  }
}

/** Interprets a 2xx answer's body. */
function readInlineReply(text: string): Attempt {
  if (text.trim() === "") return { kind: "done" };
  // Capped nesting, as for every body the emulator reads: a deep reply would break the read API once stored.
  const read = parseJson(text);
  if (!read.ok) {
    return {
      kind: "done",
      error:
        read.reason === "syntax"
          ? "the bot's answer is not JSON; no reply was posted"
          : `the bot's answer is not a valid message: ${read.message}`,
    };
  }
  const parsed = read.value;
  if (parsed && typeof parsed === "object" && (parsed as { msgtype?: unknown }).msgtype === "empty") {
    return { kind: "done" };
  }
  const result = check(RobotMessageBodySchema, parsed);
  if (!result.ok) {
    return { kind: "done", error: `the bot's answer is not a valid message: ${formatIssues(result.issues)}` };
  }
  return { kind: "done", inlineReply: parsed as Record<string, unknown> };
}

/**
 * Delivers a callback body to an app's bot in the app's mode.
 * @param ctx - the emulator (options, and the stream hub for stream-mode apps)
 * @param app - the receiving app
 * @param body - the callback body
 * @param fetchImpl - fetch for HTTP mode (tests may inject one)
 * @param onLater - for a message queued for an offline Stream bot (the answer has `queued: true`): called
 *   once with the final outcome, when the bot has connected and acked it or the push was given up
 */
export async function deliver(
  ctx: EmulatorContext,
  app: AppRecord,
  body: Record<string, unknown>,
  fetchImpl: typeof fetch = globalThis.fetch,
  onLater?: (result: DeliveryResult) => void,
): Promise<DeliveryResult> {
  if (app.mode === "stream") {
    if (!ctx.stream) {
      return {
        delivered: false,
        attempts: 0,
        error: "stream mode: the emulator's Stream server is not running (start the emulator with listen())",
      };
    }
    const push = ctx.stream.pushRobotMessage(app.appKey, body);
    if (ctx.stream.isConnected(app.appKey)) return push;
    // DingTalk keeps the message for a bot that is offline; waiting here for it to reconnect would hang the
    // caller (the chat page) for minutes, so answer now and let the push complete when the bot connects.
    push.then(
      (result) => onLater?.(result),
      (error: unknown) =>
        onLater?.({
          delivered: false,
          attempts: 0,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
    return {
      delivered: false,
      queued: true,
      attempts: 0,
      error: `app ${app.name} has no Stream connection: queued until it connects`,
    };
  }
  if (!app.callbackUrl) {
    return { delivered: false, attempts: 0, error: `app ${app.name} has no callbackUrl (HTTP mode)` };
  }
  const { options } = ctx;
  return deliverHttp({
    url: app.callbackUrl,
    appSecret: app.appSecret,
    body,
    timeoutMs: options.callbackTimeoutMs,
    attempts: options.callbackAttempts,
    retryDelayMs: options.callbackRetryDelayMs,
    now: options.now,
    fetch: fetchImpl,
  });
}

/** What a card callback over HTTP produced. */
export interface CardCallbackHttpResult {
  /** The bot answered 2xx. */
  delivered: boolean;
  /** The parsed JSON answer (null for an empty one). */
  response: unknown;
  error?: string;
}

/** Largest answer to a card callback the emulator reads, in bytes. */
const CARD_ANSWER_MAX_BYTES = 1_000_000;

/**
 * POSTs a card callback to the URL registered with `callbacks/register`, signed as DingTalk signs it:
 * `x-ddpaas-signature-timestamp` (epoch ms) and `x-ddpaas-signature` = base64(HMAC-SHA256(apiSecret,
 * timestamp)). One attempt (DingTalk waits about two seconds and does not retry a press).
 * @param options - where, what, the route's apiSecret and how long to wait
 */
export async function deliverCardCallbackHttp(options: {
  url: string;
  apiSecret: string;
  body: Record<string, unknown>;
  timeoutMs: number;
  now: () => number;
  fetch?: typeof fetch;
}): Promise<CardCallbackHttpResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timestamp = String(options.now());
  const signatureHeaders = {
    [CARD_SIGNATURE_TIMESTAMP_HEADER]: timestamp,
    [CARD_SIGNATURE_HEADER]: signCardCallback(options.apiSecret, timestamp),
  };
  const payload = JSON.stringify(options.body);
  const posted = await postSigned(doFetch, options.url, signatureHeaders, payload, options.timeoutMs);
  if (posted.kind === "timeout") {
    return {
      delivered: false,
      response: null,
      error: `the bot did not answer within ${options.timeoutMs} ms`,
    };
  }
  if (posted.kind === "unreachable") {
    return { delivered: false, response: null, error: `cannot reach the card callback URL: ${posted.cause}` };
  }
  const { status, text } = posted;
  if (status < 200 || status >= 300) {
    return { delivered: false, response: null, error: `the bot answered HTTP ${status}` };
  }
  if (text.trim() === "") return { delivered: true, response: null };
  if (Buffer.byteLength(text) > CARD_ANSWER_MAX_BYTES) {
    return { delivered: true, response: null, error: "the bot's answer is too large; nothing was applied" };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return { delivered: true, response: null, error: "the bot's answer is not JSON" };
  return { delivered: true, response: parsed.value };
}
