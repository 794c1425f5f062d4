import { describe, expect, it } from "vitest";
import { DedupeCache } from "./dedupe-cache.js";

describe("DedupeCache", () => {
  it("reports a key seen under either of its names", () => {
    const cache = new DedupeCache(10);
    cache.add("messageId-1", "msgId-1");
    expect(cache.hasAny("other", "msgId-1")).toBe(true);
    expect(cache.hasAny("messageId-1", undefined)).toBe(true);
    expect(cache.hasAny("messageId-2", "msgId-2")).toBe(false);
  });

  it("forgets the oldest keys beyond its capacity", () => {
    const cache = new DedupeCache(3);
    for (const key of ["a", "b", "c", "d"]) cache.add(key);
    expect(cache.hasAny("a")).toBe(false);
    expect(cache.hasAny("b", "c", "d")).toBe(true);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new DedupeCache(0)).toThrow(TypeError);
  });
});
