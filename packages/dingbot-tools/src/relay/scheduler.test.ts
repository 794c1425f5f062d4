import {
  ApiError,
  HttpError,
  RateLimitedError,
  RequestError,
  type RobotMessageBody,
  silentLogger,
} from "dingbot-sdk";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResolvedLimits, ResolvedRobot } from "./config.js";
import { parseDigestCounts } from "./digest.js";
import { RelayMetrics } from "./metrics.js";
import { RobotScheduler, slotWaitMs } from "./scheduler.js";
import { SendSlots } from "./send-slots.js";
import type { Sender } from "./sender.js";
import { SqliteStore } from "./store/sqlite-store.js";
import type { NewOutboxEntry } from "./types.js";

const LIMITS: ResolvedLimits = {
  maxWaitMs: 60_000,
  maxAttempts: 3,
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  requestTimeoutMs: 500,
  maxBodyBytes: 1_000_000,
};
const ROBOT: ResolvedRobot = {
  name: "ops",
  webhook: "https://x/robot/send?access_token=t",
  keywords: [],
  rateLimit: 5,
  rateWindowMs: 10_000,
};

/** A sender that records bodies and fails as told. */
class ScriptedSender implements Sender {
  readonly sent: { at: number; body: RobotMessageBody }[] = [];
  readonly failures: unknown[] = [];
  constructor(private readonly clock: { now: number }) {}
  async send(_robot: string, body: RobotMessageBody): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ at: this.clock.now, body });
  }
}

function entry(name: string, createdAt: number, severity = "critical"): NewOutboxEntry {
  return {
    robot: "ops",
    route: 0,
    createdAt,
    alerts: [
      {
        name,
        severity,
        status: "firing",
        labels: {},
        annotations: {},
        url: `https://prom/${name}`,
        atMobiles: [],
        atUserIds: [],
      },
    ],
    context: { name },
    atMobiles: [],
    atUserIds: [],
    atAll: false,
    lines: [{ name, severity, status: "firing", url: `https://prom/${name}` }],
  };
}

let clock: { now: number };
let store: SqliteStore;
let sender: ScriptedSender;
let metrics: RelayMetrics;

function scheduler(
  limits: Partial<ResolvedLimits> = {},
  robot: Partial<ResolvedRobot> = {},
  slots = new SendSlots(),
  lease: { owner?: string; leaseMs?: number } = {},
): RobotScheduler {
  return new RobotScheduler(
    { ...ROBOT, ...robot },
    {
      store,
      sender,
      metrics,
      logger: silentLogger,
      limits: { ...LIMITS, ...limits },
      language: "zh",
      now: () => clock.now,
      random: () => 0.5,
      owner: lease.owner ?? "me",
      pollMs: 200,
      leaseMs: lease.leaseMs ?? 5000,
      render: (entry) => ({
        title: `告警 ${String(entry.context.name)}`,
        text: `**🔴 告警 · ${String(entry.context.name)}**`,
        atMobiles: [],
        atUserIds: [],
        atAll: false,
      }),
      slots,
    },
  );
}

beforeEach(() => {
  clock = { now: 1_000_000 };
  store = new SqliteStore({ path: ":memory:" });
  sender = new ScriptedSender(clock);
  metrics = new RelayMetrics();
});

describe("slotWaitMs()", () => {
  it("is 0 while the window has room and waits for the oldest send to leave otherwise", () => {
    const rules = [{ windowMs: 1000, limit: 3 }];
    expect(slotWaitMs([100, 200], 500, rules)).toBe(0);
    expect(slotWaitMs([100, 200, 300], 500, rules)).toBe(601);
    expect(slotWaitMs([100, 200, 300, 400], 500, rules)).toBe(701);
  });
});

describe("RobotScheduler.step()", () => {
  it("asks an empty outbox only whether anything is queued (idle polls of many robots stay cheap)", async () => {
    const calls: string[] = [];
    const real = store;
    store = new Proxy(real, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return value.apply(target, args);
        };
      },
    });
    const s = scheduler();
    expect(await s.step()).toBe(1000);
    expect(calls).toEqual(["lease", "nextDueAt"]);
    calls.length = 0;
    expect(await s.step()).toBe(1000);
    expect(calls).toEqual(["nextDueAt"]);
  });

  it("records a delivery's send time and removes its entries in one go (one commit, not one each)", async () => {
    const calls: string[] = [];
    const real = store;
    store = new Proxy(real, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (name !== "updateSend" && name !== "remove") return value;
        return async (...args: unknown[]) => {
          calls.push(`${String(name)} asked`);
          // Settles a turn later, as a group commit does: whatever is asked meanwhile shares it.
          await new Promise((resolve) => setImmediate(resolve));
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          calls.push(`${String(name)} done`);
          return result;
        };
      },
    });
    const s = scheduler();
    await store.enqueue([entry("A", clock.now)]);
    await s.step();
    await s.settled();
    expect(calls.slice(0, 2).sort()).toEqual(["remove asked", "updateSend asked"]);
    expect(await real.depth("ops")).toBe(0);
  });

  it("shares the process's send slots: a robot's send waits, unlogged, until another robot's answer is in", async () => {
    // Answers arrive when the test says so.
    const answers: (() => void)[] = [];
    sender = Object.assign(new ScriptedSender(clock), {
      send: () => new Promise<void>((resolve) => answers.push(resolve)),
    });
    const slots = new SendSlots(2);
    const a = scheduler({}, { name: "a" }, slots);
    const b = scheduler({}, { name: "b" }, slots);
    const c = scheduler({}, { name: "c" }, slots);
    for (const name of ["a", "b", "c"])
      await store.enqueue([{ ...entry(`alert-${name}`, clock.now), robot: name }]);
    await a.step();
    await b.step();
    const third = c.step();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answers).toHaveLength(2);
    expect(slots.inUse).toBe(2);
    // The waiting send is not logged yet: its logged time must bound when it reaches DingTalk.
    expect(await store.sendsSince("c", 0)).toEqual([]);
    answers.shift()?.();
    await third;
    expect(answers).toHaveLength(2);
    expect(await store.sendsSince("c", 0)).toHaveLength(1);
    for (const answer of answers.splice(0)) answer();
    await Promise.all([a, b, c].map((s) => s.settled()));
    expect(slots.inUse).toBe(0);
  });

  describe("a send that waited for a slot", () => {
    /** Robot "other" holds the process's one slot with a send whose answer the test releases. */
    async function slotTakenByOther(): Promise<{ slots: SendSlots; sent: string[]; answer: () => void }> {
      const sent: string[] = [];
      const held: (() => void)[] = [];
      sender = Object.assign(new ScriptedSender(clock), {
        send: (robot: string) => {
          sent.push(robot);
          return robot === "other" ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve();
        },
      });
      const slots = new SendSlots(1);
      await store.enqueue([{ ...entry("slow", clock.now), robot: "other" }]);
      await scheduler({}, { name: "other" }, slots).step();
      expect(slots.inUse).toBe(1);
      return { slots, sent, answer: () => held.shift()?.() };
    }

    it("sends nothing when its lease lapsed meanwhile and another instance sent the entry", async () => {
      const { slots, sent, answer } = await slotTakenByOther();
      const mine = scheduler({}, {}, slots, { leaseMs: 50 });
      const theirs = scheduler({}, {}, new SendSlots(1), { owner: "them", leaseMs: 50 });
      await store.enqueue([entry("X", clock.now)]);
      const waiting = mine.step();
      // The wait outlasts the lease (store time and scheduler time both move on); the other instance, which
      // shares the store, takes the robot and sends X.
      await new Promise((resolve) => setTimeout(resolve, 80));
      clock.now += 80;
      await theirs.step();
      await theirs.settled();
      expect(sent).toEqual(["other", "ops"]);
      answer();
      expect(await waiting).toBe(0);
      await mine.settled();
      expect(sent).toEqual(["other", "ops"]);
      expect(slots.inUse).toBe(0);
      expect(await store.sendsSince("ops", 0)).toHaveLength(1);
    });

    it("renews a lease past its half-life that still held, and sends", async () => {
      const { slots, sent, answer } = await slotTakenByOther();
      const mine = scheduler({}, {}, slots);
      await store.enqueue([entry("X", clock.now)]);
      const waiting = mine.step();
      await new Promise((resolve) => setTimeout(resolve, 10));
      clock.now += 3000;
      answer();
      await waiting;
      await mine.settled();
      expect(sent).toEqual(["other", "ops"]);
      expect(await store.sendsSince("ops", 0)).toHaveLength(1);
    });
  });

  it("sends single messages while they fit in the window, then folds the backlog into one digest", async () => {
    const s = scheduler();
    await store.enqueue([entry("A", clock.now), entry("B", clock.now)]);
    expect(await s.step()).toBe(0);
    await s.settled();
    // B was the last entry due: instead of a step that would find it in flight, wait for an answer (which
    // wakes the loop) or the idle poll.
    expect(await s.step()).toBe(1000);
    await s.settled();
    expect(sender.sent.map((m) => (m.body as { markdown: { title: string } }).markdown.title)).toEqual([
      "告警 A",
      "告警 B",
    ]);
    await store.enqueue(
      Array.from({ length: 12 }, (_, i) => entry(`N${i % 3}`, clock.now, i % 2 ? "warning" : "critical")),
    );
    await s.step();
    await s.settled();
    const digest = (sender.sent[2]?.body as { markdown: { text: string } } | undefined)?.markdown.text ?? "";
    expect([...parseDigestCounts(digest).values()].reduce((a, b) => a + b, 0)).toBe(12);
    expect(await store.depth("ops")).toBe(0);
    expect(metrics.folded.get({ robot: "ops" })).toBe(12);
  });

  it("never exceeds the limit in any window, and keeps waits under maxWaitMs", async () => {
    const s = scheduler({ maxWaitMs: 4000 });
    let created = 0;
    let maxWait = 0;
    for (let t = 0; t < 60_000; t += 100) {
      clock.now = 1_000_000 + t;
      if (t < 30_000) await store.enqueue([entry(`S${created++ % 4}`, clock.now)]);
      for (const due of await store.ready("ops", clock.now, 10_000))
        maxWait = Math.max(maxWait, clock.now - due.createdAt);
      for (;;) {
        // Keep going while sends are allowed at this instant: a step that sent is followed by another, as the
        // answer wakes the real loop; a step that did not send waits.
        const sent = sender.sent.length;
        const wait = await s.step();
        await s.settled();
        if (wait > 0 && sender.sent.length === sent) break;
      }
    }
    const times = sender.sent.map((m) => m.at);
    for (const at of times)
      expect(times.filter((x) => x > at - 10_000 && x <= at).length).toBeLessThanOrEqual(5);
    // The bound, plus the simulation's 100 ms tick and the scheduler's safety margin.
    expect(maxWait).toBeLessThanOrEqual(4000 + 100 + 50);
    const total = sender.sent.reduce((n, m) => {
      const counts = parseDigestCounts((m.body as { markdown: { text: string } }).markdown.text);
      return n + (counts.size ? [...counts.values()].reduce((a, b) => a + b, 0) : 1);
    }, 0);
    expect(total).toBe(created);
  });

  it("waits out the rate window after a rate-limit answer, then sends", async () => {
    const s = scheduler();
    sender.failures.push(
      new RateLimitedError({
        status: 200,
        errcode: 410100,
        errmsg: "限流",
        endpoint: "POST /robot/send",
        kind: "rate-limit",
      }),
    );
    await store.enqueue([entry("A", clock.now)]);
    await s.step();
    await s.settled();
    expect(await store.blockedUntil("ops")).toBeGreaterThanOrEqual(clock.now + 10_000);
    expect(await s.step()).toBeGreaterThan(0);
    clock.now += 9_000;
    await s.step();
    await s.settled();
    expect(sender.sent).toHaveLength(0);
    clock.now += 1_100;
    await s.step();
    await s.settled();
    expect(sender.sent).toHaveLength(1);
    expect(metrics.rateLimited.get({ robot: "ops" })).toBe(1);
  });

  it("retries transient failures with backoff and dead-letters after maxAttempts", async () => {
    const s = scheduler();
    sender.failures.push(
      new HttpError(503, "POST /robot/send", "busy"),
      new RequestError("POST /robot/send", "reset"),
      new ApiError({
        status: 200,
        errcode: -1,
        errmsg: "系统繁忙",
        endpoint: "POST /robot/send",
        kind: "transient",
      }),
    );
    await store.enqueue([entry("A", clock.now)]);
    await s.step();
    await s.settled();
    const [first] = await store.ready("ops", Number.MAX_SAFE_INTEGER, 10);
    expect(first).toMatchObject({ attempts: 1, nextAt: clock.now + 750 });
    clock.now += 2000;
    await s.step();
    await s.settled();
    clock.now += 5000;
    await s.step();
    await s.settled();
    const [dead] = await store.listDead();
    expect(dead?.reason).toBe("gave up after 3 attempts: errcode -1: 系统繁忙");
    expect(metrics.retried.get({ robot: "ops" })).toBe(2);
    expect(metrics.deadLettered.get({ robot: "ops" })).toBe(1);
  });

  it("dead-letters permanent refusals at once with the reason", async () => {
    const s = scheduler();
    sender.failures.push(
      new ApiError({
        status: 200,
        errcode: 400013,
        errmsg: "群已被解散",
        endpoint: "POST /robot/send",
        kind: "permanent",
      }),
    );
    await store.enqueue([entry("A", clock.now)]);
    await s.step();
    await s.settled();
    expect((await store.listDead())[0]?.reason).toBe("permanent: errcode 400013: 群已被解散");
    expect(await store.depth("ops")).toBe(0);
  });

  it("counts sends logged by an earlier process (the limit holds across restarts)", async () => {
    for (let i = 0; i < 5; i++) await store.logSend("ops", clock.now - 1000 + i);
    await store.enqueue([entry("A", clock.now)]);
    const s = scheduler();
    expect(await s.step()).toBeGreaterThan(0);
    clock.now += 8000;
    await s.step();
    await s.settled();
    expect(sender.sent).toHaveLength(0);
    clock.now += 1100;
    await s.step();
    await s.settled();
    expect(sender.sent).toHaveLength(1);
  });
});
