import { describe, expect, it } from "vitest";
import { REPLAY_DEFAULT_MAX_ENTRIES, ReplayGuard } from "./http-replay.js";

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe("ReplayGuard", () => {
  it("forgets a signature once its timestamp has left the hour, without timers", () => {
    const guard = new ReplayGuard();
    expect(guard.isReplay(String(T0), "m1", T0)).toBe(false);
    expect(guard.isReplay(String(T0 + 1000), "m2", T0 + 1000)).toBe(false);
    expect(guard.size).toBe(2);
    // Past T0 + 1 h the first is gone (the signature check refuses that timestamp by then anyway).
    expect(guard.isReplay(String(T0 + HOUR + 500), "m3", T0 + HOUR + 500)).toBe(false);
    expect(guard.size).toBe(2);
    expect(guard.isReplay(String(T0 + 1000), "other", T0 + HOUR + 600)).toBe(true);
  });

  it("never holds more than maxEntries, forgetting the oldest first", () => {
    const guard = new ReplayGuard({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) guard.isReplay(String(T0 + i), `m${i}`, T0 + i);
    expect(guard.size).toBe(3);
    expect(guard.isReplay(String(T0 + 9), "other", T0 + 5000)).toBe(true);
    expect(guard.isReplay(String(T0), "other", T0 + 5000)).toBe(false);
  });

  it("stays bounded and keeps unexpired signatures when an expired one is used again out of order", () => {
    const guard = new ReplayGuard({ maxEntries: 3 });
    expect(guard.isReplay(String(T0 + HOUR), "a", T0)).toBe(false); // valid until T0 + 2 h
    expect(guard.isReplay(String(T0), "b", T0)).toBe(false); // valid until T0 + 1 h
    // Past b's hour, with a still at the head: b is used again and counts as new (its old slot goes stale).
    expect(guard.isReplay(String(T0), "b2", T0 + HOUR + 1)).toBe(false);
    expect(guard.isReplay(String(T0 + HOUR), "other", T0 + HOUR + 2)).toBe(true); // a is still remembered
    for (let i = 0; i < 10; i++) guard.isReplay(String(T0 + HOUR + 10 + i), `c${i}`, T0 + HOUR + 10 + i);
    expect(guard.size).toBeLessThanOrEqual(3);
    expect(guard.isReplay(String(T0 + HOUR + 19), "other", T0 + HOUR + 3000)).toBe(true);
  });

  it("caps the messages one signature may carry in its first second", () => {
    const guard = new ReplayGuard();
    const results = Array.from({ length: 10 }, (_, i) => guard.isReplay(String(T0), `m${i}`, T0));
    expect(results.filter((replay) => !replay)).toHaveLength(8);
  });

  it("refuses a bound that is not a positive whole number", () => {
    expect(() => new ReplayGuard({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(REPLAY_DEFAULT_MAX_ENTRIES).toBeGreaterThan(1000);
  });
});
