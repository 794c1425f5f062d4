/**
 * Paces an app's card calls (card_1_0) so they stay within DingTalk's QPS limit instead of being refused:
 * at most `qps` calls of one app to one API in any second (403 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`
 * past it). Every caller of one app in a process shares one {@link CardPacer} ({@link sharedCardPacer}), so
 * fifty answers streamed at once queue for free slots rather than each backing off on its own clock and coming
 * back together.
 *
 * Why a slot is held until a second after the call's answer (not after its start): DingTalk counts a call when
 * it arrives, some time between our start and its answer. Freeing the slot one window after the answer is the
 * only point from which the next call cannot arrive inside the same second, whatever the network delay.
 * @module
 */
import { RateLimitedError } from "../errors.js";
import type { LimiterClock } from "./rate-limiter.js";
import { realSleep } from "./retry.js";

/** DingTalk's card calls per app per API per second for standard organisations (docs/cards.md, Limits). */
export const DEFAULT_CARD_QPS = 20;
/** The window DingTalk counts card calls in, in ms. */
export const CARD_QPS_WINDOW_MS = 1000;

/** Settings of a {@link CardPacer}. */
export interface CardPacerOptions {
  /** Calls allowed per API per window (default {@link DEFAULT_CARD_QPS}). */
  qps?: number;
  /** Window length in ms (default {@link CARD_QPS_WINDOW_MS}). */
  windowMs?: number;
}

/** What one API's window holds. */
interface ApiWindow {
  /** Calls started and not answered yet: each holds a slot. */
  inflight: number;
  /** When answered calls ended (ascending): each holds its slot until end + window. */
  ends: number[];
  /** No call starts before this (epoch ms): set after DingTalk refused one anyway. */
  heldUntil: number;
  /** Waiters are served in order. */
  queue: Promise<void>;
  /** Wakes a waiter that waits for a call in flight to end. */
  released: (() => void) | undefined;
}

/**
 * A per-API sliding window of an app's card calls: {@link run} waits for a free slot, makes the call and holds
 * the slot until one window after the answer. After a QPS refusal anyway (another process of the same app), the
 * API is held for a whole window, so no call goes out that would be refused again.
 * @example
 * const pacer = new CardPacer({ qps: 20 });
 * await pacer.run("card.streaming", () => client.callCard("card.streaming", body));
 */
export class CardPacer {
  /** Calls allowed per API per window. */
  readonly qps: number;
  /** Window length in ms. */
  readonly windowMs: number;
  readonly #clock: LimiterClock;
  readonly #apis = new Map<string, ApiWindow>();
  /**
   * Time is never earlier than the end of the pacer's last wait: with a frozen clock (a test's fixed `now`)
   * or a sleep that returns at once, a wait still counts as having passed, so the pacer cannot wait forever.
   */
  #floor = Number.NEGATIVE_INFINITY;

  /**
   * @param options - calls per window and the window's length
   * @param clock - clock and sleep (injected in tests)
   * @throws RangeError for a qps that is not a positive whole number, or a window that is not positive
   */
  constructor(options: CardPacerOptions = {}, clock: Partial<LimiterClock> = {}) {
    this.qps = options.qps ?? DEFAULT_CARD_QPS;
    this.windowMs = options.windowMs ?? CARD_QPS_WINDOW_MS;
    if (!Number.isInteger(this.qps) || this.qps < 1) {
      throw new RangeError(`cardQps must be a positive whole number, got ${this.qps}`);
    }
    if (!(this.windowMs > 0)) throw new RangeError(`card QPS window must be positive, got ${this.windowMs}`);
    this.#clock = { now: clock.now ?? Date.now, sleep: clock.sleep ?? realSleep };
  }

  /**
   * Waits for a free slot of `api`, then makes the call. A QPS refusal ({@link RateLimitedError}) holds the
   * API for a window before it is rethrown; the pacer never repeats a call itself (the caller decides, with
   * the latest data).
   * @param api - the API's name, e.g. `"card.streaming"`
   * @param call - the call
   * @param signal - aborts the wait (no slot is taken)
   */
  async run<T>(api: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const window = this.#window(api);
    const turn = window.queue.then(() => this.#take(window, signal));
    // The next waiter starts after this one, whether it got its slot or was aborted.
    window.queue = turn.catch(() => {});
    await turn;
    try {
      return await call();
    } catch (error) {
      if (error instanceof RateLimitedError) this.hold(api, this.#now() + this.windowMs);
      throw error;
    } finally {
      window.inflight -= 1;
      window.ends.push(this.#now());
      const wake = window.released;
      window.released = undefined;
      wake?.();
    }
  }

  /**
   * Lets no call of `api` start before `untilMs` (epoch ms).
   * @param api - the API's name
   * @param untilMs - epoch ms
   */
  hold(api: string, untilMs: number): void {
    const window = this.#window(api);
    window.heldUntil = Math.max(window.heldUntil, untilMs);
  }

  /** How long a call of `api` made now would wait for a slot, in ms (0 when one is free; calls in flight count as a window away). */
  delayMs(api: string): number {
    const window = this.#window(api);
    const now = this.#now();
    this.#prune(window, now);
    const held = Math.max(0, window.heldUntil - now);
    if (window.inflight + window.ends.length < this.qps) return held;
    const freed = window.ends.length > 0 ? window.ends[0]! + this.windowMs - now : this.windowMs;
    return Math.max(held, freed);
  }

  #now(): number {
    return Math.max(this.#clock.now(), this.#floor);
  }

  async #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const until = this.#now() + ms;
    await this.#clock.sleep(ms, signal);
    this.#floor = Math.max(this.#floor, until);
  }

  #window(api: string): ApiWindow {
    let window = this.#apis.get(api);
    if (!window) {
      window = { inflight: 0, ends: [], heldUntil: 0, queue: Promise.resolve(), released: undefined };
      this.#apis.set(api, window);
    }
    return window;
  }

  #prune(window: ApiWindow, now: number): void {
    while (window.ends.length > 0 && window.ends[0]! <= now - this.windowMs) window.ends.shift();
  }

  async #take(window: ApiWindow, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      this.#prune(window, now);
      if (window.heldUntil > now) {
        await this.#sleep(window.heldUntil - now, signal);
        continue;
      }
      if (window.inflight + window.ends.length < this.qps) {
        window.inflight += 1;
        return;
      }
      if (window.ends.length > 0) {
        await this.#sleep(window.ends[0]! + this.windowMs - now, signal);
        continue;
      }
      // Every slot is held by a call in flight: its slot frees one window after it ends, so wait for that.
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal?.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        window.released = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
      });
    }
  }
}

/** Pacers shared per clock and per app, so every card caller of one app in a process shares its budget. */
const shared = new WeakMap<() => number, Map<string, CardPacer>>();

/**
 * The process-wide pacer of one app's card calls (keyed by `key`, e.g. the API host and appKey, and the
 * settings), created once. Clients with an injected clock get pacers of their own clock, so tests never share
 * state with real calls.
 * @param key - names the app (and the host it calls)
 * @param options - calls per window and the window's length
 * @param clock - clock and sleep
 */
export function sharedCardPacer(
  key: string,
  options: CardPacerOptions = {},
  clock: Partial<LimiterClock> = {},
): CardPacer {
  const now = clock.now ?? Date.now;
  let byKey = shared.get(now);
  if (!byKey) {
    byKey = new Map();
    shared.set(now, byKey);
  }
  const id = `${key}|${options.qps ?? DEFAULT_CARD_QPS}|${options.windowMs ?? CARD_QPS_WINDOW_MS}`;
  let pacer = byKey.get(id);
  if (!pacer) {
    pacer = new CardPacer(options, { ...clock, now });
    byKey.set(id, pacer);
  }
  return pacer;
}
