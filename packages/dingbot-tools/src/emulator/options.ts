import {
  SESSION_WEBHOOK_TTL_MS,
  STREAM_TICKET_TTL_MS,
  WEBHOOK_BLOCK_MS,
  WEBHOOK_RATE_LIMIT_PER_MINUTE,
  WEBHOOK_RATE_WINDOW_MS,
} from "dingbot-sdk/protocol";

/** Card calls per app per API per second (DingTalk's standard-organisation limit, protocol 4.4). */
export const CARD_QPS_PER_API = 20;
/** The emulator's default cap on a card's data, in bytes (DingTalk publishes none). */
export const CARD_DATA_MAX_BYTES = 256 * 1024;

/** The errcodes DingTalk has been seen to answer for a throttled custom robot (protocol 1.7). */
export const RATE_LIMIT_ERRCODES = [410100, 130101, 660026] as const;
/** One of {@link RATE_LIMIT_ERRCODES}. */
export type RateLimitErrcode = (typeof RATE_LIMIT_ERRCODES)[number];
/** Wording of the emulator's 310000 errmsg texts: DingTalk's present one or the old English one. */
export type ErrmsgStyle = "current" | "legacy";

/** Settings of an emulator; every limit DingTalk has can be shortened so tests run in seconds. */
export interface EmulatorOptions {
  /** Clock, epoch ms (default Date.now). */
  now?: () => number;
  /** Custom-robot messages allowed per window (default 20). */
  rateLimit?: number;
  /** Length of the custom-robot rate window in ms (default 60000). */
  rateWindowMs?: number;
  /** How long a robot stays blocked after exceeding the limit, in ms (default 10 minutes). */
  blockMs?: number;
  /**
   * The errcode `/robot/send` answers when a robot is throttled: 410100 (DingTalk's documentation, the
   * default), 130101 (`send too fast, exceed 20 times per minute`, quoted in public issues) or 660026 (one
   * probe). A robot's own `rateLimitErrcode` overrides it. Clients should treat all three alike.
   */
  rateLimitErrcode?: RateLimitErrcode;
  /**
   * Wording of the 310000 errmsg texts: `current` (default) answers DingTalk's present
   * `description:…;solution:…;` / `错误描述:…;解决方案:…;` texts, `legacy` the old English ones
   * (`keywords not in content, more: [...]`). Clients must match on errcode; people read the errmsg.
   */
  errmsgStyle?: ErrmsgStyle;
  /** Lifetime of a sessionWebhook in ms (default 90 minutes). */
  sessionTtlMs?: number;
  /** How long the emulator waits for a bot's HTTP callback answer, in ms (default 5000). */
  callbackTimeoutMs?: number;
  /** HTTP callbacks: attempts in all when the bot answers 5xx, times out or is unreachable (default 3). */
  callbackAttempts?: number;
  /** HTTP callbacks: wait before the first retry in ms, doubled for each further one (default 1000: 1 s, 2 s). */
  callbackRetryDelayMs?: number;
  /** Stream: lifetime of a ticket in ms (default 90 s). */
  ticketTtlMs?: number;
  /** Stream: wait this long for an ack before redelivering an EVENT (or a CALLBACK, see redeliverCallbacks), in ms (default 60 s). */
  redeliverAfterMs?: number;
  /**
   * Stream: redeliver an unacked robot-message CALLBACK after `redeliverAfterMs` (default false: DingTalk's
   * protocol doc says robot messages are not pushed again; the official Node SDK says they are, within
   * about 60 s — see docs/protocol-decisions.md). Unacked EVENTs are always redelivered.
   */
  redeliverCallbacks?: boolean;
  /** Stream: close the socket this many ms after a SYSTEM disconnect frame (default 10 s). */
  disconnectGraceMs?: number;
  /** Stream: interval of SYSTEM ping frames in ms (default 30 s). */
  pingIntervalMs?: number;
  /** Stream: send a CALLBACK at most this many times before giving up on an ack (default 3). */
  streamMaxDeliveries?: number;
  /** Stream: close a connection that left this many SYSTEM pings in a row unanswered (default 2). */
  streamMaxMissedPings?: number;
  /** Lifetime of app access tokens in seconds (default 7200). */
  tokenTtlSeconds?: number;
  /** Work notifications: how long a send task stays "processing" before it is done, in ms (default 300). */
  notificationDelayMs?: number;
  /**
   * Extra `Host` names (without port) the control API and the chat page answer to, besides localhost,
   * 127.0.0.1, [::1] and the listen address; e.g. a container's service name. Default none.
   */
  allowHosts?: readonly string[];
  /** How long a client may take to send the request headers, in ms (default 20000); then 408. */
  headersTimeoutMs?: number;
  /** How long a client may take to send the whole request, body included, in ms (default 30000); then 408. */
  requestTimeoutMs?: number;
  /**
   * Card calls (card_1_0) one app may make per second to each card API before DingTalk answers 403
   * `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi` (default 20, what standard organisations get per API).
   */
  cardQps?: number;
  /**
   * Largest card data (`cardParamMap` and `privateData` as JSON, or a streamed value) the card calls accept,
   * in bytes (default 262144; DingTalk publishes no figure, see docs/protocol-decisions.md).
   */
  cardDataMaxBytes?: number;
  /** Media: how long a `downloadCode` in a person's message can be redeemed, in ms (default 1 h). */
  mediaDownloadCodeTtlMs?: number;
  /** Media: how long a `messageFiles/download` URL works, in ms (default 5 minutes). */
  mediaDownloadUrlTtlMs?: number;
  /** Media: largest file a person may send through `POST /_emulator/media`, in bytes (default 20 MiB). */
  mediaMaxFileBytes?: number;
  /** Media: bytes of files kept in all; the oldest are forgotten past it (default 256 MiB). */
  mediaMaxStoredBytes?: number;
  /**
   * Where the emulator reports problems that concern no single request (server errors after start-up, an
   * event it could not forward to the page). Default: one line on stderr.
   */
  log?: (line: string) => void;
}

/** {@link EmulatorOptions} with every default filled in. */
export type ResolvedEmulatorOptions = Required<EmulatorOptions>;

/** Fills in DingTalk's real values for everything not given. */
export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  return {
    now: options.now ?? Date.now,
    rateLimit: options.rateLimit ?? WEBHOOK_RATE_LIMIT_PER_MINUTE,
    rateWindowMs: options.rateWindowMs ?? WEBHOOK_RATE_WINDOW_MS,
    blockMs: options.blockMs ?? WEBHOOK_BLOCK_MS,
    rateLimitErrcode: options.rateLimitErrcode ?? 410100,
    errmsgStyle: options.errmsgStyle ?? "current",
    sessionTtlMs: options.sessionTtlMs ?? SESSION_WEBHOOK_TTL_MS,
    callbackTimeoutMs: options.callbackTimeoutMs ?? 5000,
    callbackAttempts: options.callbackAttempts ?? 3,
    callbackRetryDelayMs: options.callbackRetryDelayMs ?? 1000,
    ticketTtlMs: options.ticketTtlMs ?? STREAM_TICKET_TTL_MS,
    redeliverAfterMs: options.redeliverAfterMs ?? 60_000,
    redeliverCallbacks: options.redeliverCallbacks ?? false,
    disconnectGraceMs: options.disconnectGraceMs ?? 10_000,
    pingIntervalMs: options.pingIntervalMs ?? 30_000,
    streamMaxDeliveries: options.streamMaxDeliveries ?? 3,
    streamMaxMissedPings: options.streamMaxMissedPings ?? 2,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 7200,
    notificationDelayMs: options.notificationDelayMs ?? 300,
    allowHosts: options.allowHosts ?? [],
    headersTimeoutMs: options.headersTimeoutMs ?? 20_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    cardQps: options.cardQps ?? CARD_QPS_PER_API,
    cardDataMaxBytes: options.cardDataMaxBytes ?? CARD_DATA_MAX_BYTES,
    mediaDownloadCodeTtlMs: options.mediaDownloadCodeTtlMs ?? 3_600_000,
    mediaDownloadUrlTtlMs: options.mediaDownloadUrlTtlMs ?? 300_000,
    mediaMaxFileBytes: options.mediaMaxFileBytes ?? 20 * 1024 * 1024,
    mediaMaxStoredBytes: options.mediaMaxStoredBytes ?? 256 * 1024 * 1024,
    log: options.log ?? ((line: string) => void process.stderr.write(`dingbot emulator: ${line}\n`)),
  };
}
