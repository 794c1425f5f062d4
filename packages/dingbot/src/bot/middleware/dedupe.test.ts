import { describe, expect, it } from "vitest";
import { MsgIdCache } from "./dedupe.js";

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

  it("delete() makes an id new again", () => {
    const cache = new MsgIdCache();
    cache.add("a");
    cache.delete("a");
    expect([cache.add("a"), cache.add("a")]).toEqual([true, false]);
  });

  it("refuses nonsense options", () => {
    expect(() => new MsgIdCache({ max: 0 })).toThrow(TypeError);
    expect(() => new MsgIdCache({ ttlMs: -1 })).toThrow(TypeError);
  });
});
