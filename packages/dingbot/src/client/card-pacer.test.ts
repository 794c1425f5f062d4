import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiError, RateLimitedError } from "../errors.js";
import { type CardServer, QPS_REFUSAL, startCardServer } from "./_card-server.js";
import { AppClient } from "./app-client.js";
import { CardPacer } from "./card-pacer.js";

/** Virtual time: a sleep moves the clock forward at once, so nothing waits for real. */
function virtualClock(start = 1_000_000) {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

const refusal = () =>
  new RateLimitedError({
    status: 403,
    apiCode: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    errmsg: "too many",
    endpoint: "PUT /v1.0/card/streaming",
    kind: "rate-limit",
  });

/** Most starts within any window of `windowMs`. */
function busiestWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    let j = i;
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j += 1;
    most = Math.max(most, j - i);
  }
  return most;
}

describe("CardPacer", () => {
  it("50 concurrent calls of one API: all made, never more than qps in any second", async () => {
    const clock = virtualClock();
    const pacer = new CardPacer({ qps: 20 }, clock);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, () =>
        pacer.run("card.streaming", async () => {
          starts.push(clock.t);
        }),
      ),
    );
    expect(starts).toHaveLength(50);
    expect(busiestWindow(starts, 1000)).toBe(20);
  });

  it("keeps a window per API: a busy streaming API does not delay updates", async () => {
    const clock = virtualClock();
    const pacer = new CardPacer({ qps: 1 }, clock);
    const t0 = clock.t;
    await pacer.run("card.streaming", async () => {});
    let updateAt = 0;
    await pacer.run("card.update", async () => {
      updateAt = clock.t;
    });
    expect(updateAt).toBe(t0);
    expect(pacer.delayMs("card.streaming")).toBe(1000);
  });

  it("holds a slot until one window after the answer, whatever the call's own duration", async () => {
    const clock = virtualClock();
    const pacer = new CardPacer({ qps: 1 }, clock);
    await pacer.run("card.update", async () => {
      clock.t += 400; // a slow answer: DingTalk may have counted it as late as this
    });
    const answeredAt = clock.t;
    let next = 0;
    await pacer.run("card.update", async () => {
      next = clock.t;
    });
    expect(next).toBe(answeredAt + 1000);
  });

  it("waits for a call in flight when every slot is held by one", async () => {
    const clock = virtualClock();
    const pacer = new CardPacer({ qps: 1 }, clock);
    let finish!: () => void;
    const first = pacer.run("card.update", () => new Promise<void>((resolve) => (finish = resolve)));
    let secondAt = 0;
    const second = pacer.run("card.update", async () => {
      secondAt = clock.t;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(secondAt).toBe(0);
    clock.t += 250;
    const endedAt = clock.t;
    finish();
    await Promise.all([first, second]);
    expect(secondAt).toBe(endedAt + 1000);
  });

  it("after a QPS refusal holds that API for a window, even with slots free; other refusals do not", async () => {
    const clock = virtualClock();
    const pacer = new CardPacer({ qps: 20 }, clock);
    await expect(
      pacer.run("card.streaming", async () => {
        throw refusal();
      }),
    ).rejects.toBeInstanceOf(RateLimitedError);
    const refusedAt = clock.t;
    let next = 0;
    await pacer.run("card.streaming", async () => {
      next = clock.t;
    });
    expect(next).toBe(refusedAt + 1000);

    await expect(
      pacer.run("card.update", async () => {
        throw new ApiError({
          status: 400,
          apiCode: "param.invalid",
          errmsg: "bad",
          endpoint: "x",
          kind: "content",
        });
      }),
    ).rejects.toBeInstanceOf(ApiError);
    expect(pacer.delayMs("card.update")).toBe(0);
  });

  it("never waits forever on a frozen clock", async () => {
    const pacer = new CardPacer({ qps: 1 }, { now: () => 5, sleep: async () => {} });
    await expect(
      pacer.run("card.update", async () => {
        throw refusal();
      }),
    ).rejects.toBeInstanceOf(RateLimitedError);
    await pacer.run("card.update", async () => {});
    await pacer.run("card.update", async () => {});
  });

  it("an aborted wait takes no slot", async () => {
    const clock = virtualClock();
    const pacer = new CardPacer(
      { qps: 1 },
      {
        now: clock.now,
        sleep: (_ms, signal) =>
          new Promise((_r, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
      },
    );
    await pacer.run("card.update", async () => {});
    const controller = new AbortController();
    const waiting = pacer.run("card.update", async () => "ran", controller.signal);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
  });

  it("refuses a qps that is not a positive whole number", () => {
    expect(() => new CardPacer({ qps: 0 })).toThrow(RangeError);
    expect(() => new CardPacer({ qps: 1.5 })).toThrow(RangeError);
  });
});

describe("AppClient card calls", () => {
  let server: CardServer;
  beforeAll(async () => {
    server = await startCardServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.calls.length = 0;
    server.script.clear();
  });

  it("are not resent underneath after a QPS refusal (the default throttleRetry is for other calls)", async () => {
    const clock = virtualClock(Date.now());
    const client = new AppClient({
      appKey: "dingpace1",
      appSecret: "secret-0123456789",
      baseUrl: server.base,
      env: {},
      ...clock,
    });
    server.script.set("PUT /v1.0/card/instances", [QPS_REFUSAL]);
    await expect(client.cards.handle("card-1").update({ status: "x" })).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    expect(server.callsTo("PUT /v1.0/card/instances")).toHaveLength(1);
    // The pacer holds the API for a second now.
    expect(client.cardPacer.delayMs("card.update")).toBeGreaterThan(900);
  });

  it("share one pacer per app and host, and pace 30 concurrent updates at cardQps", async () => {
    const clock = virtualClock(Date.now());
    const options = {
      appKey: "dingpace2",
      appSecret: "secret-0123456789",
      baseUrl: server.base,
      env: {},
      cardQps: 10,
      ...clock,
    };
    const a = new AppClient(options);
    const b = new AppClient(options);
    expect(a.cardPacer).toBe(b.cardPacer);
    expect(new AppClient({ ...options, appKey: "dingother" }).cardPacer).not.toBe(a.cardPacer);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const client = i % 2 ? a : b;
        return client.cardPacer.run("probe", async () => {
          starts.push(clock.t);
        });
      }),
    );
    expect(busiestWindow(starts, 1000)).toBe(10);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).cards.handle(`c${i}`).update({ n: i })),
    );
    expect(server.callsTo("PUT /v1.0/card/instances")).toHaveLength(12);
    expect(a.cardPacer.delayMs("card.update")).toBeGreaterThan(0);
  });
});
