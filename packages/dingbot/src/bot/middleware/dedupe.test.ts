import { describe, expect, it } from "vitest";
import { MsgIdCache } from "../msg-id-cache.js";

describe("MsgIdCache", () => {
  it("reports the first sighting true and repeats false", () => {
    const cache = new MsgIdCache();
    expect([cache.add("a"), cache.add("a"), cache.add("b")]).toEqual([true, false, true]);
  });

  it("forgets an id after the TTL", () => {
    let now = 0;
    const cache = new MsgIdCache({ ttlMs: 100, now: () => now });
    cache.add("a");
    now = 99;
    expect(cache.add("a")).toBe(false);
    now = 200;
    expect(cache.add("a")).toBe(true);
  });

  it("keeps at most max ids, forgetting the oldest", () => {
    const cache = new MsgIdCache({ max: 2 });
    cache.add("a");
    cache.add("b");
    cache.add("c");
    expect(cache.size).toBe(2);
    expect(cache.add("a")).toBe(true);
    expect(cache.add("c")).toBe(false);
  });

  it("has() answers without recording, and honours the TTL", () => {
    let now = 0;
    const cache = new MsgIdCache({ ttlMs: 100, now: () => now });
    expect(cache.has("a")).toBe(false);
    expect(cache.add("a")).toBe(true);
    expect(cache.has("a")).toBe(true);
    now = 100;
    expect(cache.has("a")).toBe(false);
    expect(cache.size).toBe(1);
  });

  it("with ttlMs Infinity forgets only by capacity (the Stream transport's frame ids)", () => {
    let now = 0;
    const cache = new MsgIdCache({ max: 2, ttlMs: Number.POSITIVE_INFINITY, now: () => now });
    cache.add("a");
    cache.add("b");
    now = 1e15;
    expect(cache.has("a")).toBe(true);
    cache.add("c");
    expect(cache.has("a")).toBe(false);
    expect(cache.has("b")).toBe(true);
    expect(cache.has("c")).toBe(true);
  });

  it("delete() makes an id new again", () => {
    const cache = new MsgIdCache();
    cache.add("a");
    cache.delete("a");
    expect([cache.add("a"), cache.add("a")]).toEqual([true, false]);
  });

  it("keeps an id added again after delete() when the ring drops its first add, whatever the TTL", () => {
    for (const ttlMs of [Number.POSITIVE_INFINITY, 60_000]) {
      const cache = new MsgIdCache({ max: 3, ttlMs, now: () => 0 });
      cache.add("x");
      cache.delete("x");
      // Added again at the same moment: both adds of x expire at the same time.
      expect(cache.add("x")).toBe(true);
      cache.add("y");
      // Full: the first add of x leaves the ring, and must not take the second with it.
      cache.add("z");
      expect(cache.has("x")).toBe(true);
      expect(cache.add("x")).toBe(false);
      expect(cache.size).toBe(3);
    }
  });

  it("refuses nonsense options", () => {
    expect(() => new MsgIdCache({ max: 0 })).toThrow(TypeError);
    expect(() => new MsgIdCache({ ttlMs: -1 })).toThrow(TypeError);
  });
});
