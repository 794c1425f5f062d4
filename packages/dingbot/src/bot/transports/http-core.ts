/**
 * The HTTP callback transport's logic, independent of the server API: routing, signature check,
 * bounded body, schema check, dispatch with an inline-reply window; card callbacks on their own path
 * with their own signature (docs/protocol-decisions.md, "Card callbacks over HTTP"). http.ts adapts it to Web
 * Request/Response, http-node.ts to node:http (without building a Request per call, which is slow on Node 20).
 * @module
 */
import { createHash } from "node:crypto";
import type { Logger } from "../../logger.js";
import {
  CARD_SIGNATURE_HEADER,
  CARD_SIGNATURE_TIMESTAMP_HEADER,
  verifyCardCallbackSignature,
} from "../../protocol/card-signing.js";
import { ROBOT_MESSAGE_TOPIC } from "../../protocol/constants.js";
import { readInboundMessage } from "../../protocol/inbound/read-inbound.js";
import type { InboundMessage } from "../../protocol/inbound/robot-message.js";
import { parseJson } from "../../protocol/json.js";
import { type SignatureFailure, verifySignature } from "../../protocol/signing.js";
import { ReplayGuard, type ReplayGuardOptions } from "./http-replay.js";
import type { CardCallbackHandler, Dispatch, ReplyBody, Responder, TransportHooks } from "./transport.js";

/** Options of the HTTP callback transport. */
export interface HttpTransportOptions {
  /** The app's appSecret: the key of the callback signature. */
  appSecret: string;
  /** The callback path (default `/`); a trailing slash does not matter. */
  path?: string;
  /** How long a handler may take to answer inline, in ms, before the callback is answered with "empty" (default 2500). */
  timeoutMs?: number;
  /** Largest accepted body, in bytes (default 256 KiB). */
  maxBodyBytes?: number;
  /**
   * How long a client may take to send a whole request (headers and body), in ms, before it is answered 408
   * and the connection closed (default 10 000). Applies to the node:http server dingbot starts (`listen()`,
   * `httpServerTransport`, `dingbot serve`); a server of your own keeps its own `requestTimeout`.
   */
  requestTimeoutMs?: number;
  /**
   * Refuse (403) a `timestamp`/`sign` pair already used for another message within its hour, so a captured
   * pair cannot be replayed with a new msgId (default on; see {@link ReplayGuardOptions}). A retry of the
   * same msgId within 10 minutes, and several messages signed in the same millisecond, still pass. `false`
   * turns it off, e.g. behind several processes where each would see only some of the callbacks anyway.
   */
  replay?: false | ReplayGuardOptions;
  /**
   * Where DingTalk posts card callbacks: the path of the `callbackUrl` registered with
   * `client.cards.registerCallback` (default `/card-callback`; must differ from `path`). Served only when
   * the bot has a `bot.action` handler and `cardApiSecret` is set.
   */
  cardPath?: string;
  /**
   * The `apiSecret` the card callback URL was registered with. DingTalk then signs each card callback
   * (`x-ddpaas-signature`), and only signed ones are taken. Without it the card path answers 404: an
   * unsigned card callback could come from anyone.
   */
  cardApiSecret?: string;
  /** Clock, epoch ms (signature window). */
  now?: () => number;
  /** Receives one line per callback (never headers, signatures or the sessionWebhook). */
  logger?: Logger;
}

/** Default inline-reply window: below the ~3 s DingTalk is said to wait (protocol 2.4, UNCERTAIN). */
export const HTTP_DEFAULT_TIMEOUT_MS = 2500;
/** Default path of card callbacks. */
export const HTTP_DEFAULT_CARD_PATH = "/card-callback";
/** Default body limit. DingTalk's messages are a few KiB. */
export const HTTP_DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/**
 * Default time to receive a whole request. DingTalk sends a few KiB at once; node's own default (300 s) let
 * a client that trickles its body hold a connection and its buffers for five minutes.
 */
export const HTTP_DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** What the core needs from one HTTP request. */
export interface HttpCall {
  method: string;
  /** The path, without the query. */
  path: string;
  /** A request header (lower-case name), or null/undefined when absent. */
  header(name: string): string | null | undefined;
  /** Reads the body, stopping as soon as it exceeds `maxBytes`. */
  readBody(maxBytes: number): Promise<Uint8Array | "too-large" | "unreadable">;
}

/** What the core answers. */
export interface HttpAnswer {
  status: number;
  /** JSON text. */
  body: string;
  headers?: Record<string, string>;
  /** The request body was not read to the end; the adapter should close the connection. */
  closeConnection?: boolean;
}

/** The core handler. */
export type HttpCallHandler = (call: HttpCall) => Promise<HttpAnswer>;

/** Marks Web handlers built by this transport, so toNodeListener can skip the Request/Response round trip. */
export const CALL_HANDLER: unique symbol = Symbol.for("dingbot.http.callHandler");

/** The path a GET answers 200 on, whatever the callback path: for readiness probes. */
export const HEALTH_PATH = "/healthz";

const EMPTY_REPLY = '{"msgtype":"empty"}';
const MISSING_HEADERS = "missing timestamp or sign header";
const REASONS = {
  missing: MISSING_HEADERS,
  malformed: "malformed timestamp or sign header",
  stale: "timestamp is more than an hour away from the server clock",
  mismatch: "signature does not match",
  replay: "timestamp and sign were already used for another message",
} as const;

const answer = (status: number, error: string, extra: Partial<HttpAnswer> = {}): HttpAnswer => ({
  status,
  body: JSON.stringify({ error }),
  ...extra,
});

/** Resolved options. */
interface HttpConfig {
  appSecret: string;
  path: string;
  cardPath: string;
  cardApiSecret: string | undefined;
  /** Set by createCallHandler when the bot takes card callbacks. */
  cardCallback: CardCallbackHandler | undefined;
  /** Signatures of card callbacks already used (their own guard: another header, another secret). */
  cardReplay: ReplayGuard | undefined;
  timeoutMs: number;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  replay: ReplayGuard | undefined;
  now: () => number;
  logger: Logger | undefined;
}

/**
 * Validates options once, when given.
 * @throws TypeError naming the bad option
 */
export function resolveHttpOptions(options: HttpTransportOptions): HttpConfig {
  if (typeof options.appSecret !== "string" || options.appSecret.length === 0) {
    throw new TypeError("appSecret is required: the callback signature is keyed with it");
  }
  const path = normalisePath(options.path ?? "/");
  if (!path.startsWith("/")) throw new TypeError(`path must start with "/": ${JSON.stringify(options.path)}`);
  const timeoutMs = options.timeoutMs ?? HTTP_DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new TypeError("timeoutMs must be a positive number of ms");
  const maxBodyBytes = options.maxBodyBytes ?? HTTP_DEFAULT_MAX_BODY_BYTES;
  if (!(maxBodyBytes > 0)) throw new TypeError("maxBodyBytes must be a positive number of bytes");
  const requestTimeoutMs = options.requestTimeoutMs ?? HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
  if (!(requestTimeoutMs > 0)) throw new TypeError("requestTimeoutMs must be a positive number of ms");
  const cardPath = normalisePath(options.cardPath ?? HTTP_DEFAULT_CARD_PATH);
  if (!cardPath.startsWith("/")) {
    throw new TypeError(`cardPath must start with "/": ${JSON.stringify(options.cardPath)}`);
  }
  if (cardPath === path) {
    throw new TypeError(`cardPath must differ from path (both are ${JSON.stringify(path)})`);
  }
  if (
    options.cardApiSecret !== undefined &&
    (typeof options.cardApiSecret !== "string" || !options.cardApiSecret)
  ) {
    throw new TypeError(
      "cardApiSecret must be a non-empty string: the apiSecret given to callbacks/register",
    );
  }
  return {
    appSecret: options.appSecret,
    path,
    cardPath,
    cardApiSecret: options.cardApiSecret,
    cardCallback: undefined,
    cardReplay: options.replay === false ? undefined : new ReplayGuard(options.replay),
    timeoutMs,
    maxBodyBytes,
    requestTimeoutMs,
    replay: options.replay === false ? undefined : new ReplayGuard(options.replay),
    now: options.now ?? Date.now,
    logger: options.logger,
  };
}

function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/**
 * Builds the core handler around a dispatch function (usually `bot.handleUpdate`).
 * @param dispatch - receives each verified, validated update
 * @param options - secret, path, limits, clock, logger
 * @param hooks - card callbacks (`bot.handleCardCallback`), served on `cardPath` when `cardApiSecret` is set
 * @throws TypeError for invalid options
 */
export function createCallHandler(
  dispatch: Dispatch,
  options: HttpTransportOptions,
  hooks: TransportHooks = {},
): HttpCallHandler {
  const config = resolveHttpOptions(options);
  if (hooks.cardCallback && config.cardApiSecret) config.cardCallback = hooks.cardCallback;
  // Only our own bug can reject here; a bad request never should.
  const internalError = (error: unknown): HttpAnswer => {
    config.logger?.error(
      { err: error instanceof Error ? error.name : "unknown" },
      "callback handling failed",
    );
    return answer(500, "internal error");
  };
  return (call) => handleCall(call, dispatch, config).catch(internalError);
}

const HEALTHY: HttpAnswer = { status: 200, body: '{"status":"ok"}' };

async function handleCall(call: HttpCall, dispatch: Dispatch, config: HttpConfig): Promise<HttpAnswer> {
  const path = normalisePath(call.path);
  // A readiness probe (a tour's wait loop, a load balancer, Kubernetes) is not a refused callback: no warning.
  if (path === HEALTH_PATH && (call.method === "GET" || call.method === "HEAD")) return HEALTHY;
  if (path === config.cardPath && config.cardCallback)
    return handleCardCall(call, config, config.cardCallback);
  if (path !== config.path) return reject(config, answer(404, "not found"), "path");
  if (call.method !== "POST") return refuseMethod(config);
  const verdict = verifySignature(
    config.appSecret,
    call.header("timestamp"),
    call.header("sign"),
    config.now(),
  );
  // Answer before reading the body: unauthenticated clients do not get to make us buffer anything.
  if (!verdict.ok) return refuseSignature(config, verdict.reason, REASONS);
  const raw = await call.readBody(config.maxBodyBytes);
  if (raw === "too-large") return refuseTooLarge(config);
  if (raw === "unreadable") {
    // The client went away mid-body (or node's server cut it off: 408, logged there). Nobody reads this
    // answer, and a warning per dropped connection would only be noise.
    config.logger?.debug({ status: 400, reason: "unreadable" }, "callback body could not be read");
    return answer(400, "body could not be read");
  }
  const message = parseMessage(raw);
  if (typeof message === "string") return reject(config, answer(400, message), "body");
  // Only now is the msgId known, which tells a replay from DingTalk retrying the same message.
  if (config.replay?.isReplay(call.header("timestamp") ?? "", message.msgId, config.now())) {
    return reject(config, answer(403, REASONS.replay), "replay");
  }
  return runHandler(message, dispatch, config);
}

/**
 * A card callback: the same order as a robot message (method, signature from the headers before a byte of
 * the body, capped body, replay), then the action handlers; their answer is the response body.
 */
async function handleCardCall(
  call: HttpCall,
  config: HttpConfig,
  handler: CardCallbackHandler,
): Promise<HttpAnswer> {
  if (call.method !== "POST") return refuseMethod(config);
  const timestamp = call.header(CARD_SIGNATURE_TIMESTAMP_HEADER);
  const verdict = verifyCardCallbackSignature(
    config.cardApiSecret ?? "",
    timestamp,
    call.header(CARD_SIGNATURE_HEADER),
    config.now(),
  );
  if (!verdict.ok) return refuseSignature(config, verdict.reason, CARD_REASONS);
  const raw = await call.readBody(config.maxBodyBytes);
  if (raw === "too-large") return refuseTooLarge(config);
  if (raw === "unreadable") return answer(400, "body could not be read");
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const parsed = parseJson(bytes.toString("utf8"));
  if (!parsed.ok) {
    return reject(
      config,
      answer(400, parsed.reason === "syntax" ? "body is not JSON" : "body nested too deeply"),
      "body",
    );
  }
  // The signature covers only the timestamp, so a captured pair must not carry another body: a retry of the
  // same callback (same bytes) passes, anything else within the hour is refused.
  const id = createHash("sha256").update(bytes).digest("base64");
  if (config.cardReplay?.isReplay(timestamp ?? "", id, config.now())) {
    return reject(config, answer(403, CARD_REASONS.replay), "replay");
  }
  return runCardHandler(parsed.value, handler, config);
}

const CARD_REASONS = {
  missing: `missing ${CARD_SIGNATURE_TIMESTAMP_HEADER} or ${CARD_SIGNATURE_HEADER} header`,
  malformed: `malformed ${CARD_SIGNATURE_TIMESTAMP_HEADER} or ${CARD_SIGNATURE_HEADER} header`,
  stale: "signature timestamp is more than an hour away from the server clock",
  mismatch: "signature does not match the card callback's apiSecret",
  replay: "signature was already used for another card callback",
} as const;

/**
 * Runs the action handlers. Their answer goes back as the body; past the inline window (`timeoutMs`; DingTalk
 * waits about 2 s) the callback is answered `{}` and a later answer is dropped with a warning (a slow handler
 * should answer at once and change the card later with `ctx.cardHandle().update`).
 */
function runCardHandler(
  body: unknown,
  handler: CardCallbackHandler,
  config: HttpConfig,
): Promise<HttpAnswer> {
  const started = config.now();
  return new Promise<HttpAnswer>((resolve) => {
    let open = true;
    const finish = (result: HttpAnswer, outcome: string): void => {
      if (!open) return;
      open = false;
      clearTimeout(timer);
      config.logger?.info({ outcome, status: result.status, ms: config.now() - started }, "card callback");
      resolve(result);
    };
    const timer = setTimeout(() => {
      config.logger?.warn(
        { timeoutMs: config.timeoutMs },
        "card action handler is slower than the inline window; answered {} (update the card later instead)",
      );
      finish({ status: 200, body: "{}" }, "timeout");
    }, config.timeoutMs);
    handler(body).then(
      (response) =>
        finish({ status: 200, body: JSON.stringify(response ?? {}) }, response ? "answer" : "done"),
      (error: unknown) => {
        if (isInboundValidation(error)) {
          const reason = error instanceof Error ? error.message : "malformed card callback";
          finish(answer(400, reason.slice(0, 300)), "malformed");
        } else {
          // The bot logged the handler's error; here it only decides the status.
          finish(answer(500, "handler failed"), "error");
        }
      },
    );
  });
}

/** A `ValidationError` about what DingTalk sent, told by its code (the bot may be another copy of dingbot). */
function isInboundValidation(error: unknown): boolean {
  const e = error as { code?: unknown; direction?: unknown } | null;
  return typeof e === "object" && e !== null && e.code === "DT_VALIDATION" && e.direction === "inbound";
}

function reject(config: HttpConfig, result: HttpAnswer, reason: string): HttpAnswer {
  config.logger?.warn({ status: result.status, reason }, "callback rejected");
  return result;
}

/** 405 for anything but POST on a callback path. */
function refuseMethod(config: HttpConfig): HttpAnswer {
  return reject(config, answer(405, "method not allowed", { headers: { allow: "POST" } }), "method");
}

/** 401 (missing headers) or 403 for a refused signature, closing the connection before the body is read. */
function refuseSignature(
  config: HttpConfig,
  reason: SignatureFailure,
  reasons: Record<SignatureFailure, string>,
): HttpAnswer {
  const status = reason === "missing" ? 401 : 403;
  return reject(config, answer(status, reasons[reason], { closeConnection: true }), reason);
}

/** 413 for a body past the cap, closing the connection. */
function refuseTooLarge(config: HttpConfig): HttpAnswer {
  return reject(
    config,
    answer(413, `body larger than ${config.maxBodyBytes} bytes`, { closeConnection: true }),
    "size",
  );
}

/** Parses and checks the body; a string is the reason it was refused. */
function parseMessage(raw: Uint8Array): InboundMessage | string {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  // Capped nesting: a deep body would overflow the stack of the schema check or a handler's JSON.stringify.
  const parsed = parseJson(bytes.toString("utf8"));
  if (!parsed.ok)
    return parsed.reason === "syntax" ? "body is not JSON" : `body is not a robot message: ${parsed.message}`;
  const value = parsed.value;
  const checked = readInboundMessage(value);
  if (!checked.ok) {
    const first = checked.issues[0];
    return `body is not a robot message${first ? ` (${first.path}: ${first.message})` : ""}`.slice(0, 200);
  }
  return checked.value;
}

type Outcome =
  | { kind: "inline"; body: ReplyBody }
  | { kind: "done" }
  | { kind: "error" }
  | { kind: "timeout" };

const DONE: Outcome = { kind: "done" };
const ERROR: Outcome = { kind: "error" };
const TIMEOUT: Outcome = { kind: "timeout" };

const RESOLVED: Promise<void> = Promise.resolve();
const INLINE_TAKEN: Promise<boolean> = Promise.resolve(true);
const INLINE_CLOSED: Promise<boolean> = Promise.resolve(false);

/**
 * Dispatches, answering with the first inline reply, "empty" when done or timed out, 500 when it threw.
 * One promise settled by whichever comes first (rather than Promise.race over three): this runs per message.
 */
function runHandler(message: InboundMessage, dispatch: Dispatch, config: HttpConfig): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve) => {
    const slot = new InlineSlot(message, config, resolve);
    const update = {
      id: message.msgId,
      topic: ROBOT_MESSAGE_TOPIC,
      message,
      receivedAt: slot.started,
      via: "http" as const,
    };
    // The bot has logged the error and called bot.catch; here it only decides the status.
    dispatch(update, slot).then(
      () => slot.finish(DONE),
      () => slot.finish(ERROR),
    );
  });
}

/**
 * The response slot of one callback, and its Responder. A class so that a message costs one object (its
 * methods are shared) rather than a closure per method.
 */
class InlineSlot implements Responder {
  readonly started: number;
  #open = true;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly message: InboundMessage,
    private readonly config: HttpConfig,
    private readonly resolve: (answer: HttpAnswer) => void,
  ) {
    this.started = config.now();
    this.#timer = setTimeout(onTimeout, config.timeoutMs, this);
  }

  ack(): Promise<void> {
    return RESOLVED;
  }

  replyInline(body: ReplyBody): Promise<boolean> {
    if (!this.#open) return INLINE_CLOSED;
    this.finish({ kind: "inline", body });
    return INLINE_TAKEN;
  }

  /** Answers the callback with the first outcome; later ones are ignored. */
  finish(outcome: Outcome): void {
    if (!this.#open) return;
    this.#open = false;
    clearTimeout(this.#timer);
    this.resolve(toAnswer(this.message, outcome, this.config, this.started));
  }
}

function onTimeout(slot: InlineSlot): void {
  slot.finish(TIMEOUT);
}

function toAnswer(
  message: InboundMessage,
  outcome: Outcome,
  config: HttpConfig,
  started: number,
): HttpAnswer {
  config.logger?.info(
    {
      msgId: message.msgId,
      msgtype: message.msgtype,
      conversationType: message.conversationType,
      // "empty" when the handler chose not to answer (noReply), "done" when it finished without a word.
      outcome: outcome.kind === "inline" && outcome.body.msgtype === "empty" ? "empty" : outcome.kind,
      ms: config.now() - started,
    },
    "callback",
  );
  switch (outcome.kind) {
    case "inline":
      return { status: 200, body: JSON.stringify(outcome.body) };
    case "error":
      return answer(500, "handler failed");
    default:
      // Done without replying, or still working: later replies go through the sessionWebhook.
      return { status: 200, body: EMPTY_REPLY };
  }
}
