/**
 * A sliding-window limiter that queues sends instead of refusing them, so a burst stays within
 * DingTalk's 20 messages per minute per robot and never trips the 10-minute block.
 * @module
 */
import { WEBHOOK_RATE_LIMIT_PER_MINUTE, WEBHOOK_RATE_WINDOW_MS } from "../protocol/constants.js";
import { realSleep, type Sleep } from "./retry.js";

/**
 * Default window: DingTalk's 60 s plus 1 s, because DingTalk counts arrivals, and a request that meets less
 * network delay than the one 20 sends earlier could otherwise arrive inside the same 60 s.
 */
export const DEFAULT_RATE_WINDOW_MS = WEBHOOK_RATE_WINDOW_MS + 1000;

/** Settings of a {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Sends allowed per window (default 20). */
  limit?: number;
  /** Window length in ms (default {@link DEFAULT_RATE_WINDOW_MS}, 61000). */
  windowMs?: number;
}

/** Clock of a {@link RateLimiter}: injectable so tests never wait for real time. */
export interface LimiterClock {
  now: () => number;
  sleep: Sleep;
}

/**
 * Sliding-window log: at most `limit` sends start in any `windowMs`. Waiters are served in order.
 * A sliding window (rather than a token bucket that refills continuously) matches how DingTalk counts,
 * so `limit` sends per window is really allowed, never limit + refill.
 * @example
 * const limiter = new RateLimiter({ limit: 20, windowMs: 60_000 });
 * await limiter.acquire(); // resolves at once for the first 20 calls of a minute, later ones wait
 */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly starts: number[] = [];
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: LimiterClock;

  constructor(options: RateLimitOptions = {}, clock: Partial<LimiterClock> = {}) {
    this.limit = options.limit ?? WEBHOOK_RATE_LIMIT_PER_MINUTE;
    this.windowMs = options.windowMs ?? DEFAULT_RATE_WINDOW_MS;
    if (!Number.isInteger(this.limit) || this.limit < 1) {
      throw new RangeError(`rate limit must be a positive integer, got ${this.limit}`);
    }
    if (!(this.windowMs > 0)) throw new RangeError(`rate window must be positive, got ${this.windowMs}`);
    this.clock = { now: clock.now ?? Date.now, sleep: clock.sleep ?? realSleep };
  }

  /**
   * Waits for a free slot and takes it. Callers are served first come, first served.
   * @param signal - aborts the wait (the slot is not taken)
   */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.take(signal));
    // The next waiter starts after this one, whether it got its slot or was aborted.
    this.queue = turn.catch(() => {});
    if (!signal) return turn;
    // An abort must answer now, not when the waiters ahead are served: its turn still comes, and then
    // take() sees the abort and passes without taking a slot.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      turn.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** How long a send made now would wait, in ms (0 when a slot is free). */
  delayMs(): number {
    const now = this.clock.now();
    this.prune(now);
    const pause = Math.max(0, this.pausedUntil - now);
    if (this.starts.length < this.limit) return pause;
    return Math.max(pause, this.starts[0]! + this.windowMs - now);
  }

  /**
   * Holds every waiter until `untilMs` (epoch ms): used when DingTalk answered "rate limited" anyway,
   * e.g. because another process sends with the same robot.
   */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }

  private prune(now: number): void {
    while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.delayMs();
      if (wait <= 0) {
        this.starts.push(this.clock.now());
        return;
      }
      await this.clock.sleep(wait, signal);
    }
  }
}

/** Limiters shared per clock and per robot, so two clients of one robot in one process share a budget. */
const shared = new WeakMap<() => number, Map<string, RateLimiter>>();

/**
 * Returns the process-wide limiter of one robot (keyed by access token, limit and window), creating it once.
 * Clients with an injected clock get limiters of their own clock, so tests never share state with real sends.
 * @param key - the robot's access token (or session)
 * @param options - limit and window
 * @param clock - clock and sleep
 */
export function sharedRateLimiter(
  key: string,
  options: RateLimitOptions = {},
  clock: Partial<LimiterClock> = {},
): RateLimiter {
  const now = clock.now ?? Date.now;
  let byKey = shared.get(now);
  if (!byKey) {
    byKey = new Map();
    shared.set(now, byKey);
  }
  const id = `${key}|${options.limit ?? WEBHOOK_RATE_LIMIT_PER_MINUTE}|${options.windowMs ?? DEFAULT_RATE_WINDOW_MS}`;
  let limiter = byKey.get(id);
  if (!limiter) {
    limiter = new RateLimiter(options, { ...clock, now });
    byKey.set(id, limiter);
  }
  return limiter;
}
