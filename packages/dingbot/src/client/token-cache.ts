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

/** One app's token of one API style. */
export class TokenCache {
  #current: CachedToken | undefined;
  #inflight: Promise<CachedToken> | undefined;
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
    this.#inflight ??= this.#refresh(signal).finally(() => {
      this.#inflight = undefined;
    });
    if (!current || now >= current.expiresAt) return this.#inflight;
    try {
      return await this.#inflight;
    } catch {
      // An early refresh failed (network, throttling) but the old token still works: keep using it and
      // try again on the next call, rather than failing calls DingTalk would accept.
      return current;
    }
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
