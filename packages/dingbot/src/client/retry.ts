/**
 * The library's one retry loop, {@link withRetry}, and the webhook sender's policies: bounded, jittered, and
 * limited to what is safe to repeat. Other callers (the app client's throttling retries) plug in their own
 * `shouldRetry` and `delayMs` rather than writing a second loop.
 * A retried `/robot/send` that DingTalk had already accepted would post the message twice, so only
 * failures that prove nothing was posted are retried (see {@link isSafeToRetry}).
 * @module
 */
import { ApiError, RateLimitedError, RequestError } from "../errors.js";

/** How many times, and how patiently, a request is repeated. */
export interface RetryPolicy {
  /** Extra attempts after the first; 0 disables retries. */
  retries: number;
  /** First backoff step in ms; step n waits a random time in [0, min(maxDelayMs, baseDelayMs·2ⁿ)]. */
  baseDelayMs: number;
  /** Longest backoff step in ms. */
  maxDelayMs: number;
  /**
   * Whether a rate-limit answer is retried once its window has passed (waiting the error's
   * `retryAfterMs`). A CLI that would rather fail fast than wait a minute sets this to false.
   */
  retryRateLimited: boolean;
}

/** Never retries. */
export const noRetry: RetryPolicy = Object.freeze({
  retries: 0,
  baseDelayMs: 0,
  maxDelayMs: 0,
  retryRateLimited: false,
});

/** Two quick retries (≤ 2 s apart) of connect failures and "system busy"; rate limits are not waited for. */
export const fewRetriesQuickly: RetryPolicy = Object.freeze({
  retries: 2,
  baseDelayMs: 300,
  maxDelayMs: 2000,
  retryRateLimited: false,
});

/** Three retries with longer backoff, waiting out rate-limit windows: for background senders. */
export const patientRetries: RetryPolicy = Object.freeze({
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
  retryRateLimited: true,
});

/** Network error codes that mean the connection was never made, so DingTalk cannot have seen the request. */
const CONNECT_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Finds a Node/undici error code anywhere in an error's cause chain. */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    current = current.cause;
  }
  return codes;
}

/**
 * Whether repeating a failed `/robot/send` cannot post the message twice:
 * a connection that never opened, errcode -1 (系统繁忙) or a rate-limit answer.
 * Timeouts and resets are not retried: DingTalk may already have posted the message.
 * @param error - what the attempt threw
 * @param policy - the policy in force (decides about rate limits)
 */
export function isSafeToRetry(error: unknown, policy: RetryPolicy): boolean {
  if (error instanceof RateLimitedError) return policy.retryRateLimited;
  if (error instanceof ApiError) return error.kind === "transient";
  if (error instanceof RequestError) return causeCodes(error).some((code) => CONNECT_ERROR_CODES.has(code));
  return false;
}

/**
 * How long to wait before retry number `attempt` (0-based): full jitter for ordinary errors,
 * the rate-limit window (plus up to 10% jitter) for rate-limit answers.
 * @param attempt - how many retries were already made
 * @param error - the error being retried
 * @param policy - the policy in force
 * @param random - a uniform [0, 1) source (injectable for tests)
 */
export function retryDelayMs(
  attempt: number,
  error: unknown,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (error instanceof RateLimitedError && error.retryAfterMs !== undefined) {
    return Math.round(error.retryAfterMs * (1 + 0.1 * random()));
  }
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(cap * random());
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real {@link Sleep}: a timer that an AbortSignal can cancel. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Options of {@link withRetry}. */
export interface WithRetryOptions {
  policy: RetryPolicy;
  sleep?: Sleep;
  random?: () => number;
  signal?: AbortSignal;
  /** Called before each wait (for logging and for pausing a shared rate limiter). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /**
   * Whether an error may be retried (default {@link isSafeToRetry} under `policy`). The policy's
   * `retries` still bounds the attempts.
   * @param error - what the attempt threw
   * @param retriesMade - how many retries were already made (0 after the first attempt)
   */
  shouldRetry?: (error: unknown, retriesMade: number) => boolean;
  /**
   * How long to wait before the next retry (default {@link retryDelayMs} under `policy`).
   * @param retriesMade - how many retries were already made
   * @param error - the error being retried
   */
  delayMs?: (retriesMade: number, error: unknown) => number;
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not safe to retry, or the policy runs out.
 * @param attempt - one try; receives the 1-based attempt number
 * @returns the first successful result
 * @throws the last error
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: WithRetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  const shouldRetry = options.shouldRetry ?? ((error: unknown) => isSafeToRetry(error, options.policy));
  const delayMs =
    options.delayMs ??
    ((n: number, error: unknown) => retryDelayMs(n, error, options.policy, options.random));
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n + 1);
    } catch (error) {
      if (n >= options.policy.retries || !shouldRetry(error, n)) throw error;
      const delay = delayMs(n, error);
      options.onRetry?.(error, n + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}
