/**
 * De-duplication by msgId. DingTalk re-sends a callback it considers unanswered (HTTP 5xx or timeout,
 * Stream without ack) with the same msgId; the handlers must see it once.
 * @module
 */

import type { MiddlewareFn } from "../composer.js";
import type { Context } from "../context.js";

/** Options of {@link MsgIdCache} and {@link dedupe}. */
export interface DedupeOptions {
  /** Most msgIds remembered; the oldest is forgotten first (default 10 000). */
  max?: number;
  /**
   * How long a msgId is remembered, in ms (default 10 minutes: DingTalk's retries stop well before).
   * `Infinity` keeps ids until `max` newer ones push them out (the Stream transport's frame ids).
   */
  ttlMs?: number;
  /** Clock, epoch ms (default Date.now). */
  now?: () => number;
}

/** Default number of remembered msgIds. */
export const DEDUPE_DEFAULT_MAX = 10_000;
/** Default lifetime of a remembered msgId, in ms. */
export const DEDUPE_DEFAULT_TTL_MS = 10 * 60_000;

/**
 * The library's one bounded set of recently seen ids (msgIds here; Stream frame ids too): the oldest is
 * forgotten first, and every entry expires after a TTL.
 * A ring buffer keeps the insertion order. (A Map alone would do, but evicting from its front leaves
 * tombstones that V8 walks on every `keys().next()`, which cost 20 % of a callback in the benchmark.)
 */
export class MsgIdCache {
  /**
   * Each remembered id and the number of its add. The i-th add lands in ring slot i % max (every add writes
   * at the tail, every eviction frees the head), so the number finds the slot, and it tells a slot's entry
   * from a later add of the same id (forgotten, then added again) even when both expire at the same time.
   */
  readonly #addOf = new Map<string, number>();
  readonly #ring: string[];
  readonly #ringAdd: Float64Array;
  readonly #ringExpiry: Float64Array;
  #adds = 0;
  #head = 0;
  #count = 0;
  readonly #max: number;
  readonly #ttlMs: number;
  /** False for `ttlMs: Infinity`: then no clock is read and nothing expires (the Stream transport's case). */
  readonly #expires: boolean;
  readonly #now: () => number;

  /**
   * @param options - size, lifetime and clock
   * @throws TypeError when max or ttlMs is not a positive number
   */
  constructor(options: DedupeOptions = {}) {
    this.#max = options.max ?? DEDUPE_DEFAULT_MAX;
    this.#ttlMs = options.ttlMs ?? DEDUPE_DEFAULT_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#expires = Number.isFinite(this.#ttlMs);
    if (!Number.isInteger(this.#max) || this.#max < 1)
      throw new TypeError("dedupe max must be a positive integer");
    if (!(this.#ttlMs > 0)) throw new TypeError("dedupe ttlMs must be positive");
    this.#ring = new Array<string>(this.#max).fill("");
    this.#ringAdd = new Float64Array(this.#max);
    this.#ringExpiry = new Float64Array(this.#max);
  }

  /**
   * Records an id.
   * @returns true the first time an id is seen (within the TTL), false for a repeat
   */
  add(id: string): boolean {
    let now = 0;
    if (this.#expires) {
      now = this.#now();
      while (this.#count > 0 && this.#ringExpiry[this.#head]! <= now) this.#evictHead();
    }
    const seen = this.#addOf.get(id);
    if (seen !== undefined && this.#ringExpiry[seen % this.#max]! > now) return false;
    if (this.#count === this.#max) this.#evictHead();
    const add = this.#adds++;
    const tail = add % this.#max;
    this.#ring[tail] = id;
    this.#ringAdd[tail] = add;
    this.#ringExpiry[tail] = now + this.#ttlMs;
    this.#count += 1;
    this.#addOf.set(id, add);
    return true;
  }

  /**
   * Whether an id was seen within the TTL, without recording it (check several keys of one delivery
   * before recording any of them).
   */
  has(id: string): boolean {
    const seen = this.#addOf.get(id);
    return seen !== undefined && (!this.#expires || this.#ringExpiry[seen % this.#max]! > this.#now());
  }

  /** Forgets an id, so its next delivery counts as new. */
  delete(id: string): void {
    // The ring slot stays until it reaches the head; #evictHead skips ids the map no longer holds.
    this.#addOf.delete(id);
  }

  /** Number of remembered ids. */
  get size(): number {
    return this.#addOf.size;
  }

  #evictHead(): void {
    const id = this.#ring[this.#head]!;
    // The map may hold a later add of the same id (forgotten, then added again); keep that one.
    if (this.#addOf.get(id) === this.#ringAdd[this.#head]) this.#addOf.delete(id);
    this.#ring[this.#head] = "";
    this.#head = (this.#head + 1) % this.#max;
    this.#count -= 1;
  }
}

/**
 * Middleware that stops a message whose msgId was already seen; the Bot installs it first by default.
 * A message whose handlers threw is forgotten, so a retry of it runs them again.
 * @param options - cache size, TTL and clock
 * @example
 * const bot = new Bot({ dedupe: false });
 * bot.use(dedupe({ ttlMs: 60_000 }));
 */
export function dedupe(options: DedupeOptions = {}): MiddlewareFn<Context> {
  return dedupeWith(new MsgIdCache(options));
}

/**
 * {@link dedupe} around a given memory. An update its transport already recorded in this same memory
 * (`update.deduplicatedBy`: a Stream transport using the bot's memory) passes without a second lookup.
 * @param cache - the msgId memory
 */
export function dedupeWith(cache: MsgIdCache): MiddlewareFn<Context> {
  return (ctx, next) => {
    if (ctx.update.deduplicatedBy === cache) return next();
    const msgId = ctx.msgId;
    if (!cache.add(msgId)) {
      ctx.logger.debug({ msgId }, "duplicate msgId dropped");
      return;
    }
    // A message whose handling failed is forgotten: the transport reported the failure (HTTP 500), so
    // DingTalk's retry of it should run the handlers again rather than be dropped as a duplicate.
    return next().catch((error: unknown) => {
      cache.delete(msgId);
      throw error;
    });
  };
}
