import { describe, expect, it } from "vitest";
import { type CachedToken, type FetchedToken, TokenCache, type TokenStore } from "./token-cache.js";

function setup(options: { ttlSeconds?: number; earlyRefreshMs?: number; store?: TokenStore } = {}) {
  let clock = 1_000_000;
  let n = 0;
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const cache = new TokenCache({
    now: () => clock,
    ...(options.earlyRefreshMs === undefined ? {} : { earlyRefreshMs: options.earlyRefreshMs }),
    ...(options.store ? { store: options.store, storeKey: "k" } : {}),
    fetchToken: async () => {
      n += 1;
      if (gate) await gate;
      return { value: `token-${n}`, expiresInSeconds: options.ttlSeconds ?? 7200 };
    },
  });
  return {
    cache,
    advance: (ms: number) => {
      clock += ms;
    },
    hold: () => {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release?.(),
  };
}

describe("TokenCache", () => {
  it("fetches once for 100 concurrent callers (single flight)", async () => {
    const { cache, hold, release } = setup();
    hold();
    const pending = Promise.all(Array.from({ length: 100 }, () => cache.get()));
    release();
    const tokens = await pending;
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(["token-1"]));
    expect(cache.fetches).toBe(1);
  });

  it("refreshes earlyRefreshMs before expiry, not before", async () => {
    const { cache, advance } = setup({ earlyRefreshMs: 300_000 });
    await cache.get();
    advance(7200_000 - 300_001);
    expect((await cache.get()).value).toBe("token-1");
    advance(2);
    expect((await cache.get()).value).toBe("token-2");
  });

  it("uses a short-lived token for half its life", async () => {
    const { cache, advance } = setup({ ttlSeconds: 2 });
    await cache.get();
    advance(900);
    expect((await cache.get()).value).toBe("token-1");
    advance(200);
    expect((await cache.get()).value).toBe("token-2");
  });

  it("drops only the token that was refused, so late failures of the old token do not refetch", async () => {
    const { cache } = setup();
    const old = await cache.get();
    await cache.invalidate(old.value);
    const fresh = await cache.get();
    await cache.invalidate(old.value);
    expect((await cache.get()).value).toBe(fresh.value);
    expect(cache.fetches).toBe(2);
  });

  it("shares tokens through a store", async () => {
    const saved = new Map<string, CachedToken>();
    const store: TokenStore = {
      get: (k) => saved.get(k),
      set: (k, t) => void saved.set(k, t),
      delete: (k) => void saved.delete(k),
    };
    const first = setup({ store });
    await first.cache.get();
    const second = setup({ store });
    expect((await second.cache.get()).value).toBe("token-1");
    expect(second.cache.fetches).toBe(0);
  });

  it("keeps using a still-valid token when the early refresh fails, and fails once it has expired", async () => {
    let clock = 0;
    let fail = false;
    let n = 0;
    const cache = new TokenCache({
      now: () => clock,
      earlyRefreshMs: 300_000,
      fetchToken: async () => {
        if (fail) throw new Error("network down");
        n += 1;
        return { value: `token-${n}`, expiresInSeconds: 7200 };
      },
    });
    await cache.get();
    fail = true;
    clock = 7200_000 - 1000;
    expect((await cache.get()).value).toBe("token-1");
    clock = 7200_000;
    await expect(cache.get()).rejects.toThrow("network down");
  });

  it("refuses a negative earlyRefreshMs", () => {
    expect(
      () =>
        new TokenCache({
          now: Date.now,
          fetchToken: async () => ({ value: "x", expiresInSeconds: 1 }),
          earlyRefreshMs: -1,
        }),
    ).toThrow(TypeError);
  });
});

/** A token fetch that waits until released, and fails like a real request when its signal aborts. */
function gatedCache() {
  let release: (() => void) | undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const seen: (AbortSignal | undefined)[] = [];
  const cache = new TokenCache({
    now: () => 1_000_000,
    fetchToken: (signal?: AbortSignal) =>
      new Promise<FetchedToken>((resolve, reject) => {
        seen.push(signal);
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        void gate.then(() => resolve({ value: "token-1", expiresInSeconds: 7200 }));
      }),
  });
  return { cache, release: () => release?.(), seen };
}

describe("TokenCache single flight and cancellation", () => {
  it("still gives the token to other callers when the caller that started the fetch aborts", async () => {
    const { cache, release } = gatedCache();
    const first = new AbortController();
    const a = cache.get(first.signal);
    const b = cache.get();
    first.abort(new Error("caller A gave up"));
    await expect(a).rejects.toThrow("caller A gave up");
    release();
    await expect(b).resolves.toMatchObject({ value: "token-1" });
  });

  it("cancels the shared fetch once every waiting caller has aborted", async () => {
    const { cache, seen } = gatedCache();
    const one = new AbortController();
    const two = new AbortController();
    const a = cache.get(one.signal);
    const b = cache.get(two.signal);
    one.abort(new Error("one"));
    await expect(a).rejects.toThrow("one");
    expect(seen[0]?.aborted).toBe(false);
    two.abort(new Error("two"));
    await expect(b).rejects.toThrow("two");
    expect(seen[0]?.aborted).toBe(true);
  });
});
