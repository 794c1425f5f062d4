/**
 * An access-token cache: one token per app and API style, refreshed before it expires, fetched once
 * however many callers ask at the same time (single flight), and dropped when DingTalk says it is invalid.
 * @module
 */

/** A token and when it stops working. */
export interface CachedToken {
  value: string;
  /** Epoch ms at which DingTalk stops accepting it. */
  expiresAt: number;
  /** Epoch ms from which the cache fetches a new one instead of handing this one out. */
  refreshAt: number;
}

/** What a token fetch returns. */
export interface FetchedToken {
  value: string;
  /** Lifetime DingTalk announced, in seconds (`expires_in` / `expireIn`). */
  expiresInSeconds: number;
}

/**
 * Somewhere to share tokens beyond one process (a file for the CLI, Redis for a relay fleet).
 * Implementations may be synchronous or asynchronous.
 */
export interface TokenStore {
  get(key: string): CachedToken | undefined | Promise<CachedToken | undefined>;
  set(key: string, token: CachedToken): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Gets a fresh token from DingTalk. */
  fetchToken: (signal?: AbortSignal) => Promise<FetchedToken>;
  /** Clock, epoch ms. */
  now: () => number;
  /** Refresh this long before expiry, in ms (default 5 minutes; at most half the token's lifetime). */
  earlyRefreshMs?: number;
  /** Shared store, and the key of this app's token in it. */
  store?: TokenStore;
  storeKey?: string;
}

/** The token fetch in flight and how many abortable callers still wait for it. */
interface Flight {
  promise: Promise<CachedToken>;
  controller: AbortController;
  waiters: number;
}

/** One app's token of one API style. */
export class TokenCache {
  #current: CachedToken | undefined;
  #inflight: Flight | undefined;
  #fetches = 0;
  readonly #early: number;

  constructor(private readonly options: TokenCacheOptions) {
    const early = options.earlyRefreshMs ?? 5 * 60_000;
    if (!Number.isFinite(early) || early < 0)
      throw new TypeError("earlyRefreshMs must be a non-negative number");
    if (options.store && !options.storeKey) throw new TypeError("storeKey is required with store");
    this.#early = early;
  }

  /** How many times a token was fetched from DingTalk (for tests and the benchmark). */
  get fetches(): number {
    return this.#fetches;
  }

  /** The token held now, without fetching (may be stale). */
  peek(): CachedToken | undefined {
    return this.#current;
  }

  /**
   * A token that is good for a while: the cached one, or a fresh one. Concurrent callers share one fetch.
   * @throws whatever the fetch throws (AuthError for bad credentials)
   */
  async get(signal?: AbortSignal): Promise<CachedToken> {
    const current = this.#current;
    const now = this.options.now();
    if (current && now < current.refreshAt) return current;
    const shared = this.#join(signal);
    if (!current || now >= current.expiresAt) return shared;
    try {
      return await shared;
    } catch {
      // An early refresh failed (network, throttling) but the old token still works: keep using it and
      // try again on the next call, rather than failing calls DingTalk would accept.
      return current;
    }
  }

  /**
   * Waits for the one fetch in flight, starting it if needed. The fetch belongs to no single caller: one
   * caller's abort rejects only that caller, and the fetch itself is cancelled once every waiting caller
   * has aborted (a caller without a signal keeps it going).
   */
  #join(signal: AbortSignal | undefined): Promise<CachedToken> {
    let flight = this.#inflight;
    if (!flight) {
      const controller = new AbortController();
      const started: Flight = {
        controller,
        waiters: 0,
        promise: this.#refresh(controller.signal).finally(() => {
          if (this.#inflight === started) this.#inflight = undefined;
        }),
      };
      this.#inflight = started;
      flight = started;
    }
    const joined = flight;
    if (!signal) {
      joined.waiters = Number.POSITIVE_INFINITY;
      return joined.promise;
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    joined.waiters += 1;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        joined.waiters -= 1;
        if (joined.waiters === 0) {
          joined.controller.abort(signal.reason);
          // Nobody waits for it any more; its rejection must not surface as unhandled.
          joined.promise.catch(() => undefined);
        }
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      joined.promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /**
   * Forgets a token DingTalk refused. Only that exact token is dropped: when many calls fail with the
   * same old token, the first drop wins and the others reuse the replacement.
   * @param value - the token that was refused
   */
  async invalidate(value: string): Promise<void> {
    if (this.#current?.value !== value) return;
    this.#current = undefined;
    if (this.options.store && this.options.storeKey) await this.options.store.delete(this.options.storeKey);
  }

  async #refresh(signal?: AbortSignal): Promise<CachedToken> {
    const { store, storeKey, now } = this.options;
    if (store && storeKey) {
      const shared = await store.get(storeKey);
      if (shared && now() < shared.refreshAt && shared.value !== this.#current?.value) {
        this.#current = shared;
        return shared;
      }
    }
    this.#fetches += 1;
    const fetched = await this.options.fetchToken(signal);
    const obtainedAt = now();
    const lifetime = fetched.expiresInSeconds * 1000;
    // A short-lived token (an emulator set to 2 s) is still used for half its life rather than never.
    const early = Math.min(this.#early, lifetime / 2);
    const token: CachedToken = {
      value: fetched.value,
      expiresAt: obtainedAt + lifetime,
      refreshAt: obtainedAt + lifetime - early,
    };
    this.#current = token;
    if (store && storeKey) await store.set(storeKey, token);
    return token;
  }
}
