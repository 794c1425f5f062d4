import {
  SESSION_WEBHOOK_TTL_MS,
  STREAM_TICKET_TTL_MS,
  WEBHOOK_BLOCK_MS,
  WEBHOOK_RATE_LIMIT_PER_MINUTE,
  WEBHOOK_RATE_WINDOW_MS,
} from "dingbot-sdk/protocol";

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
  /** Stream: redeliver an unacked CALLBACK after this many ms (default 60 s). */
  redeliverAfterMs?: number;
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
    sessionTtlMs: options.sessionTtlMs ?? SESSION_WEBHOOK_TTL_MS,
    callbackTimeoutMs: options.callbackTimeoutMs ?? 5000,
    callbackAttempts: options.callbackAttempts ?? 3,
    callbackRetryDelayMs: options.callbackRetryDelayMs ?? 1000,
    ticketTtlMs: options.ticketTtlMs ?? STREAM_TICKET_TTL_MS,
    redeliverAfterMs: options.redeliverAfterMs ?? 60_000,
    disconnectGraceMs: options.disconnectGraceMs ?? 10_000,
    pingIntervalMs: options.pingIntervalMs ?? 30_000,
    streamMaxDeliveries: options.streamMaxDeliveries ?? 3,
    streamMaxMissedPings: options.streamMaxMissedPings ?? 2,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 7200,
    notificationDelayMs: options.notificationDelayMs ?? 300,
  };
}
