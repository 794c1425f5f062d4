import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles the delay ceiling per attempt, with half of it random", () => {
    const low = new Backoff({ initialMs: 100, random: () => 0 });
    const high = new Backoff({ initialMs: 100, random: () => 0.999999 });
    expect([low.next(), low.next(), low.next()]).toEqual([50, 100, 200]);
    expect([high.next(), high.next(), high.next()]).toEqual([100, 200, 400]);
  });

  it("never exceeds the cap", () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 0.999999 });
    const delays = Array.from({ length: 20 }, () => backoff.next());
    expect(Math.max(...delays)).toBe(60_000);
    expect(delays.at(-1)).toBe(60_000);
  });

  it("starts again from the first step after reset()", () => {
    const backoff = new Backoff({ initialMs: 100, random: () => 0 });
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(50);
  });

  it("refuses a non-positive option with a TypeError naming it", () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/backoff.initialMs/);
    expect(() => new Backoff({ factor: -1 })).toThrow(TypeError);
  });
});
