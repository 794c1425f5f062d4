import { describe, expect, it } from "vitest";
import { ApiError, HttpError, RateLimitedError, RequestError } from "../errors.js";
import {
  fewRetriesQuickly,
  isSafeToRetry,
  noRetry,
  patientRetries,
  type RetryPolicy,
  retryDelayMs,
  withRetry,
} from "./retry.js";

const endpoint = "POST /robot/send";
const busy = () =>
  new ApiError({ status: 200, errcode: -1, errmsg: "系统繁忙", endpoint, kind: "transient" });
const limited = () =>
  new RateLimitedError({
    status: 200,
    errcode: 410100,
    errmsg: "限流",
    endpoint,
    kind: "rate-limit",
    retryAfterMs: 60_000,
  });
const connectRefused = () => {
  const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  return new RequestError(endpoint, "network error", { cause: new TypeError("fetch failed", { cause }) });
};
const policy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, retryRateLimited: true };

describe("isSafeToRetry()", () => {
  it("retries connect failures, errcode -1 and rate limits", () => {
    expect(isSafeToRetry(connectRefused(), policy)).toBe(true);
    expect(isSafeToRetry(busy(), policy)).toBe(true);
    expect(isSafeToRetry(limited(), policy)).toBe(true);
  });

  it("does not retry what DingTalk may already have posted, or refused for good", () => {
    expect(isSafeToRetry(new RequestError(endpoint, "no answer within 10 ms"), policy)).toBe(false);
    expect(isSafeToRetry(new HttpError(502, endpoint, "bad gateway"), policy)).toBe(false);
    const keyword = new ApiError({
      status: 200,
      errcode: 310000,
      errmsg: "keywords",
      endpoint,
      kind: "config",
    });
    expect(isSafeToRetry(keyword, policy)).toBe(false);
    expect(isSafeToRetry(new Error("boom"), policy)).toBe(false);
  });

  it("leaves rate limits alone when the policy says so", () => {
    expect(isSafeToRetry(limited(), fewRetriesQuickly)).toBe(false);
    expect(isSafeToRetry(limited(), patientRetries)).toBe(true);
  });
});

describe("retryDelayMs()", () => {
  it("uses full jitter bounded by the exponential step and the cap", () => {
    expect(retryDelayMs(0, busy(), policy, () => 0.999)).toBeLessThanOrEqual(100);
    expect(retryDelayMs(2, busy(), policy, () => 0.5)).toBe(200);
    expect(retryDelayMs(10, busy(), policy, () => 0.999)).toBeLessThanOrEqual(1000);
    expect(retryDelayMs(1, busy(), policy, () => 0)).toBe(0);
  });

  it("waits out the rate window (plus at most 10%) for rate limits", () => {
    expect(retryDelayMs(0, limited(), policy, () => 0)).toBe(60_000);
    expect(retryDelayMs(0, limited(), policy, () => 0.999)).toBeLessThanOrEqual(66_000);
  });
});

describe("withRetry()", () => {
  it("repeats safe failures until success", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw busy();
        return "ok";
      },
      { policy, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it("stops after the policy's retries and throws the last error", async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw busy();
    };
    await expect(withRetry(attempt, { policy, sleep: async () => {} })).rejects.toBeInstanceOf(ApiError);
    expect(calls).toBe(4);
  });

  it("makes exactly one attempt with noRetry", async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw connectRefused();
    };
    await expect(withRetry(attempt, { policy: noRetry, sleep: async () => {} })).rejects.toBeInstanceOf(
      RequestError,
    );
    expect(calls).toBe(1);
  });

  it("does not retry unsafe errors", async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw new RequestError(endpoint, "no answer within 5 ms");
    };
    await expect(withRetry(attempt, { policy, sleep: async () => {} })).rejects.toThrow("no answer");
    expect(calls).toBe(1);
  });

  it("takes a pluggable shouldRetry and delayMs instead of the webhook rules", async () => {
    let calls = 0;
    const sleeps: number[] = [];
    const seen: number[] = [];
    const attempt = async (n: number) => {
      calls += 1;
      // An error the webhook rules would never retry: only the plugged-in predicate decides.
      if (n < 3) throw new HttpError(503, endpoint, "busy");
      return "ok";
    };
    const result = await withRetry(attempt, {
      policy,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      shouldRetry: (error, retriesMade) => {
        seen.push(retriesMade);
        return error instanceof HttpError;
      },
      delayMs: (retriesMade) => 10 * (retriesMade + 1),
    });
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(seen).toEqual([0, 1]);
    expect(sleeps).toEqual([10, 20]);
  });
});
