/**
 * The bounded memory of recently seen ids behind de-duplication: the dedupe middleware's, and the one a
 * Stream transport shares with its bot. Its own module, so a transport's types can name it without
 * depending on the middleware (and the middleware's context types).
 * @module
 */

/** Options of {@link MsgIdCache} (and of the `dedupe` middleware). */
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
