import { describe, expect, it } from "vitest";
import { RateLimiter, sharedRateLimiter } from "./rate-limiter.js";

/** A clock that only moves when someone sleeps: tests never wait for real time. */
function fakeClock(start = 1_000_000) {
  const clock = {
    t: start,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

describe("RateLimiter", () => {
  it("lets `limit` sends through at once, then waits for the window to slide", async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ limit: 20, windowMs: 60_000 }, clock);
    const starts: number[] = [];
    for (let i = 0; i < 25; i += 1) {
      await limiter.acquire();
      starts.push(clock.t);
    }
    expect(starts.slice(0, 20).every((t) => t === 1_000_000)).toBe(true);
    expect(starts[20]).toBe(1_060_000);
    // Never more than 20 starts inside any 60 s window.
    for (let i = 20; i < starts.length; i += 1)
      expect(starts[i]! - starts[i - 20]!).toBeGreaterThanOrEqual(60_000);
  });

  it("serves concurrent waiters in order", async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000 }, clock);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(clock.t).toBe(1_000_000 + 2000);
  });

  it("reports the delay a send would wait", async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 5000 }, clock);
    expect(limiter.delayMs()).toBe(0);
    await limiter.acquire();
    expect(limiter.delayMs()).toBe(5000);
    clock.t += 2000;
    expect(limiter.delayMs()).toBe(3000);
  });

  it("holds everyone after pauseUntil", async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ limit: 100, windowMs: 1000 }, clock);
    limiter.pauseUntil(clock.t + 60_000);
    await limiter.acquire();
    expect(clock.t).toBe(1_060_000);
  });

  it("does not take a slot when the wait is aborted, and keeps serving others", async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000 }, clock);
    await limiter.acquire();
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(limiter.acquire(controller.signal)).rejects.toThrow("stop");
    await limiter.acquire();
    expect(clock.t).toBe(1_001_000);
  });

  it("rejects an aborted waiter at once, even while it is still queued behind another", async () => {
    // A sleep that only ends by abort: the second waiter holds the queue for as long as the test runs.
    const limiter = new RateLimiter(
      { limit: 1, windowMs: 60_000 },
      {
        now: () => 0,
        sleep: (_ms, signal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
      },
    );
    await limiter.acquire();
    const second = new AbortController();
    const blocked = limiter.acquire(second.signal);
    const third = new AbortController();
    const queued = limiter.acquire(third.signal);
    third.abort(new Error("gave up"));
    await expect(queued).rejects.toThrow("gave up");
    second.abort(new Error("done"));
    await expect(blocked).rejects.toThrow("done");
  });

  it("defaults to DingTalk's 20 per minute, with a one-second margin on the window", () => {
    const limiter = new RateLimiter();
    expect(limiter.limit).toBe(20);
    expect(limiter.windowMs).toBe(61_000);
  });

  it("rejects nonsense settings", () => {
    expect(() => new RateLimiter({ limit: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ windowMs: 0 })).toThrow(RangeError);
  });
});

describe("sharedRateLimiter()", () => {
  it("returns one limiter per robot and clock", () => {
    const clock = fakeClock();
    const a = sharedRateLimiter("token-a", {}, clock);
    expect(sharedRateLimiter("token-a", {}, clock)).toBe(a);
    expect(sharedRateLimiter("token-b", {}, clock)).not.toBe(a);
    expect(sharedRateLimiter("token-a", {}, fakeClock())).not.toBe(a);
  });
});
