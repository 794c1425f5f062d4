/**
 * A bounded set of recently seen keys, used to drop redelivered frames across reconnects. A ring buffer
 * decides what to forget: evicting from the front of a Map is slow in V8 once many entries were deleted
 * (iteration walks the holes), and this sits on the per-message hot path.
 * @module
 */

/** Remembers the last `capacity` keys. */
export class DedupeCache {
  readonly #keys = new Set<string>();
  readonly #ring: Array<string | undefined>;
  #next = 0;

  /**
   * @param capacity - how many keys to keep (default 10 000)
   * @throws TypeError when capacity is not a positive integer
   */
  constructor(private readonly capacity = 10_000) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0)
      throw new TypeError("dedupeSize must be a positive integer");
    this.#ring = new Array<string | undefined>(capacity);
  }

  /** Whether any of the keys was seen. */
  hasAny(...keys: Array<string | undefined>): boolean {
    for (const key of keys) if (key !== undefined && this.#keys.has(key)) return true;
    return false;
  }

  /** Remembers keys, forgetting the oldest beyond capacity. */
  add(...keys: Array<string | undefined>): void {
    for (const key of keys) {
      if (key === undefined || this.#keys.has(key)) continue;
      const evicted = this.#ring[this.#next];
      if (evicted !== undefined) this.#keys.delete(evicted);
      this.#ring[this.#next] = key;
      this.#next = (this.#next + 1) % this.capacity;
      this.#keys.add(key);
    }
  }
}
