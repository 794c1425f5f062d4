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
  readonly #expiresAt = new Map<string, number>();
  readonly #ring: string[];
  readonly #ringExpiry: Float64Array;
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
    const expiresAt = this.#expiresAt.get(id);
    if (expiresAt !== undefined && expiresAt > now) return false;
    if (this.#count === this.#max) this.#evictHead();
    const tail = (this.#head + this.#count) % this.#max;
    this.#ring[tail] = id;
    this.#ringExpiry[tail] = now + this.#ttlMs;
    this.#count += 1;
    this.#expiresAt.set(id, now + this.#ttlMs);
    return true;
  }

  /**
   * Whether an id was seen within the TTL, without recording it (check several keys of one delivery
   * before recording any of them).
   */
  has(id: string): boolean {
    const expiresAt = this.#expiresAt.get(id);
    return expiresAt !== undefined && (!this.#expires || expiresAt > this.#now());
  }

  /** Forgets an id, so its next delivery counts as new. */
  delete(id: string): void {
    // The ring slot stays until it reaches the head; #evictHead skips ids the map no longer holds.
    this.#expiresAt.delete(id);
  }

  /** Number of remembered ids. */
  get size(): number {
    return this.#expiresAt.size;
  }

  #evictHead(): void {
    const id = this.#ring[this.#head]!;
    // The map may hold a newer entry for the same id (re-added after it expired); keep that one.
    if (this.#expiresAt.get(id) === this.#ringExpiry[this.#head]) this.#expiresAt.delete(id);
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
