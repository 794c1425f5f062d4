/**
 * Memory of the callback signatures already used, so a captured `timestamp`/`sign` pair cannot be replayed
 * with another body during the hour DingTalk's signature stays valid. See docs/protocol-decisions.md
 * ("Replayed callback signatures") for why retries and same-millisecond messages are still let through.
 * @module
 */

/** How long a signature is accepted around its timestamp (the signature check's window). */
const SIGNATURE_WINDOW_MS = 3_600_000;

/** Options of the replay guard: `false` turns it off. */
export interface ReplayGuardOptions {
  /**
   * Most signatures remembered (default 50 000, about 10 MB; one per callback of the last hour). When full,
   * the oldest is forgotten, so only a bot receiving more than this many callbacks an hour loses protection
   * for its oldest ones.
   */
  maxEntries?: number;
}

/** Default number of remembered signatures. */
export const REPLAY_DEFAULT_MAX_ENTRIES = 50_000;
/**
 * How long after a signature was first used the same message (same msgId) may come again with it: a
 * delivery retry that reuses its headers. The same as the bot's default msgId de-duplication window, which
 * then answers the retry without running the handlers again.
 */
export const REPLAY_RETRY_WINDOW_MS = 10 * 60_000;
/**
 * How long after its first use a signature may carry other msgIds. DingTalk signs with a millisecond
 * timestamp, so two messages signed in the same millisecond share their headers; they arrive together.
 */
export const REPLAY_SAME_MS_WINDOW_MS = 1000;
/** Most messages one signature may carry within {@link REPLAY_SAME_MS_WINDOW_MS}. */
export const REPLAY_SAME_MS_MAX_MESSAGES = 8;

interface Seen {
  /** The signature's key (its timestamp: the sign follows from it and the secret). */
  readonly key: string;
  /** When the signature stops being valid anyway: its timestamp plus the window. */
  readonly expiresAt: number;
  /** When it was first used (server clock). */
  readonly firstSeen: number;
  /** The msgIds it carried. */
  readonly msgIds: string[];
}

/**
 * Remembers used signatures until their timestamp leaves the signature window, with no timer per entry and
 * a constant cost per callback. A Map finds an entry; a ring of entries in arrival order decides what to
 * forget (the expired ones at its head, and the oldest beyond `maxEntries`). Forgetting from a Map's front
 * instead walks the slots of every entry deleted before it, which V8 keeps until the table is rebuilt: the
 * cost per callback grew with the traffic (the issue 15 profile).
 */
export class ReplayGuard {
  readonly #seen = new Map<string, Seen>();
  readonly #ring: Array<Seen | undefined>;
  #head = 0;
  #count = 0;
  readonly #max: number;

  /**
   * @param options - the bound
   * @throws TypeError for a bound that is not a positive whole number
   */
  constructor(options: ReplayGuardOptions = {}) {
    const max = options.maxEntries ?? REPLAY_DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError("replay.maxEntries must be a positive whole number");
    this.#max = max;
    this.#ring = new Array<Seen | undefined>(max);
  }

  /** Signatures currently remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records that a verified signature carried a message, and says whether that is a replay.
   * The signature is identified by its timestamp alone: a valid `sign` is a function of the timestamp.
   * @param timestamp - the verified `timestamp` header, as sent
   * @param msgId - the message it carried
   * @param now - server clock, epoch ms
   * @returns true when the pair was already used for another message, or for this one too long ago
   */
  isReplay(timestamp: string, msgId: string, now: number): boolean {
    this.#sweep(now);
    const seen = this.#seen.get(timestamp);
    if (seen === undefined || seen.expiresAt <= now) {
      if (this.#count === this.#max) this.#evictHead();
      const entry: Seen = {
        key: timestamp,
        expiresAt: Number(timestamp) + SIGNATURE_WINDOW_MS,
        firstSeen: now,
        msgIds: [msgId],
      };
      this.#seen.set(timestamp, entry);
      this.#ring[(this.#head + this.#count) % this.#max] = entry;
      this.#count += 1;
      return false;
    }
    const age = now - seen.firstSeen;
    if (seen.msgIds.includes(msgId)) return age > REPLAY_RETRY_WINDOW_MS;
    if (age > REPLAY_SAME_MS_WINDOW_MS || seen.msgIds.length >= REPLAY_SAME_MS_MAX_MESSAGES) return true;
    seen.msgIds.push(msgId);
    return false;
  }

  /** Forgets the expired entries at the head of the ring (and the slots of entries replaced since). */
  #sweep(now: number): void {
    while (this.#count > 0) {
      const head = this.#ring[this.#head]!;
      if (this.#seen.get(head.key) === head && head.expiresAt > now) return;
      this.#evictHead();
    }
  }

  #evictHead(): void {
    const head = this.#ring[this.#head]!;
    // The Map may hold a newer entry under the same key (the signature was used again after it expired).
    if (this.#seen.get(head.key) === head) this.#seen.delete(head.key);
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#max;
    this.#count -= 1;
  }
}
