/**
 * Reconnect delays: exponential with jitter and a cap, reset after a healthy connection. The official
 * Node SDK reconnects every 1 s for ever, which turns an outage into a storm; this does not.
 * @module
 */

/** Settings of {@link Backoff}. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms, before jitter (default 500). */
  initialMs?: number;
  /** Largest delay, in ms (default 60 000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Random source in [0, 1) (default Math.random); inject it for deterministic tests. */
  random?: () => number;
}

/** Jittered exponential backoff ("equal jitter": half fixed, half random, so delays never collapse to 0). */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #random: () => number;
  #attempt = 0;

  /**
   * @param options - delays and the random source
   * @throws TypeError when a delay or the factor is not a positive number
   */
  constructor(options: BackoffOptions = {}) {
    this.#initialMs = positive(options.initialMs ?? 500, "backoff.initialMs");
    this.#maxMs = positive(options.maxMs ?? 60_000, "backoff.maxMs");
    this.#factor = positive(options.factor ?? 2, "backoff.factor");
    this.#random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, in ms; each call counts one attempt. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** Starts again from the initial delay (after a healthy connection). */
  reset(): void {
    this.#attempt = 0;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
