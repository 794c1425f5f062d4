/**
 * The custom robot's throttle (protocol section 1.6): at most `limit` messages in any sliding window of
 * `windowMs`; the message after that is refused and the robot stays blocked for `blockMs`.
 * @module
 */

/** Outcome of {@link RateWindow.take}. */
export type RateDecision = { ok: true } | { ok: false; blockedUntil: number };

/** Settings of a {@link RateWindow}. */
export interface RateWindowOptions {
  /** Messages allowed per window. */
  limit: number;
  /** Window length in ms. */
  windowMs: number;
  /** Block length in ms after the limit was exceeded. */
  blockMs: number;
}

/**
 * Per-key sliding window with a block. Only messages that are accepted count: a refused request (bad
 * signature, blocked) does not use up the window. The block runs from the first refused message and is
 * not extended by further attempts while it lasts (DingTalk's behaviour is not documented).
 */
export class RateWindow {
  readonly #sent = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();

  constructor(readonly options: RateWindowOptions) {}

  /**
   * Counts one message for `key` at `now` if allowed.
   * @param key - the robot (its access token)
   * @param now - epoch ms from the emulator's clock
   */
  take(key: string, now: number): RateDecision {
    const blockedUntil = this.#blockedUntil.get(key);
    if (blockedUntil !== undefined) {
      if (now < blockedUntil) return { ok: false, blockedUntil };
      this.#blockedUntil.delete(key);
      // A fresh start after the block: what was sent before it no longer counts.
      this.#sent.delete(key);
    }
    const sent = this.#sent.get(key) ?? [];
    // The window is (now - windowMs, now]: a message exactly windowMs old has left it.
    while (sent.length > 0 && sent[0]! <= now - this.options.windowMs) sent.shift();
    if (sent.length >= this.options.limit) {
      const until = now + this.options.blockMs;
      this.#blockedUntil.set(key, until);
      return { ok: false, blockedUntil: until };
    }
    sent.push(now);
    this.#sent.set(key, sent);
    return { ok: true };
  }

  /** Forgets every key (emulator reset). */
  clear(): void {
    this.#sent.clear();
    this.#blockedUntil.clear();
  }
}
