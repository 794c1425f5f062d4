import { describe, expect, it } from "vitest";
import { RateWindow } from "./rate-window.js";

describe("RateWindow", () => {
  it("allows 20 per minute, blocks the 21st for 10 minutes without extending the block", () => {
    const window = new RateWindow({ limit: 20, windowMs: 60_000, blockMs: 600_000 });
    for (let i = 0; i < 20; i++) expect(window.take("r", i * 1000).ok).toBe(true);
    expect(window.take("r", 30_000)).toEqual({ ok: false, blockedUntil: 630_000 });
    expect(window.take("r", 500_000)).toEqual({ ok: false, blockedUntil: 630_000 });
    expect(window.take("other", 500_000).ok).toBe(true);
    expect(window.take("r", 630_000).ok).toBe(true);
  });

  it("clear() forgets windows and blocks", () => {
    const window = new RateWindow({ limit: 1, windowMs: 1000, blockMs: 1000 });
    window.take("r", 0);
    expect(window.take("r", 1).ok).toBe(false);
    window.clear();
    expect(window.take("r", 2).ok).toBe(true);
  });
});
