/**
 * A bounded set of recently seen keys (insertion-ordered Map as an LRU), used to drop redelivered
 * frames across reconnects.
 * @module
 */

/** Remembers the last `capacity` keys. */
export class DedupeCache {
  readonly #keys = new Map<string, true>();

  /**
   * @param capacity - how many keys to keep (default 10 000)
   * @throws TypeError when capacity is not a positive integer
   */
  constructor(private readonly capacity = 10_000) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0)
      throw new TypeError("dedupeSize must be a positive integer");
  }

  /** Whether any of the keys was seen. */
  hasAny(...keys: Array<string | undefined>): boolean {
    return keys.some((key) => key !== undefined && this.#keys.has(key));
  }

  /** Remembers keys, forgetting the oldest beyond capacity. */
  add(...keys: Array<string | undefined>): void {
    for (const key of keys) {
      if (key === undefined) continue;
      this.#keys.delete(key);
      this.#keys.set(key, true);
    }
    while (this.#keys.size > this.capacity) {
      const oldest = this.#keys.keys().next().value;
      if (oldest === undefined) break;
      this.#keys.delete(oldest);
    }
  }
}
