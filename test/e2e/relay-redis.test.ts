/**
 * Two relay instances sharing one Redis: together they stay within the robot's limit (no rate-limit
 * errcode from the emulator) and each alert is sent exactly once, whichever instance accepted it.
 * Starts its own redis-server on a free port and stops it after. Without redis-server the test is skipped
 * with a message, unless CI is set, where a missing redis-server fails it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createRelay, EntryRejectedError, parseRelayConfig, type Relay } from "dingbot-tools/relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alertmanagerBody,
  countAlerts,
  deepJson,
  deepValue,
  type EmulatorHarness,
  freePort,
  groupTexts,
  JSON_POST,
  outboxEntry,
  startEmulator,
  tempDir,
  WEBHOOK,
  waitFor,
} from "./relay-harness.js";

const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;
if (!hasRedis && process.env.CI) {
  throw new Error("redis-server is missing but CI is set: install it (apt-get install redis-server)");
}
if (!hasRedis)
  console.warn("relay-redis.test.ts skipped: redis-server is not installed (set CI to make this fail)");

const LIMIT = 20;
const WINDOW_MS = 1000;
const ALERTS = 300;
let redis: ChildProcess | undefined;
let redisUrl: string;
let harness: EmulatorHarness;
let dir: ReturnType<typeof tempDir>;
const relays: Relay[] = [];
const urls: string[] = [];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function startRedis(): Promise<void> {
  const port = await freePort();
  redis = spawn(
    "redis-server",
    ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
    {
      stdio: "ignore",
    },
  );
  redisUrl = `redis://127.0.0.1:${port}`;
  await waitFor(
    () => spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG",
    10_000,
    "redis-server to start",
  );
}

beforeAll(async () => {
  if (!hasRedis) return;
  await startRedis();
  harness = await startEmulator({ rateLimit: LIMIT, rateWindowMs: WINDOW_MS, blockMs: 20_000 });
  dir = tempDir();
  const yaml = `
store: { redis: "${redisUrl}", prefix: relaytest }
baseUrl: ${harness.url}
limits: { rateLimit: ${LIMIT}, rateWindowMs: ${WINDOW_MS} }
robots:
  ops: { webhook: "${WEBHOOK}" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
  - { path: /generic, source: generic, robots: [ops] }
`;
  for (let i = 0; i < 2; i++) {
    const relay = await createRelay(parseRelayConfig(yaml, `${dir.dir}/relay.yaml`, {}), {
      logger: quiet,
      pollMs: 50,
      leaseMs: 2000,
    });
    relays.push(relay);
    urls.push(await relay.start(0));
  }
}, 30_000);

afterAll(async () => {
  for (const relay of relays) await relay.stop();
  await harness?.close();
  redis?.kill("SIGTERM");
  dir?.cleanup();
});

describe.skipIf(!hasRedis)("relay on Redis", () => {
  it("shares one queue and one limit between two instances; each alert is sent once", async () => {
    const expected = new Map<string, number>();
    const posts: Promise<Response>[] = [];
    for (let i = 0; i < ALERTS; i++) {
      const name = `Redis${i % 30}`;
      expected.set(name, (expected.get(name) ?? 0) + 1);
      // Alternate instances, as a load balancer would.
      posts.push(fetch(`${urls[i % 2]}/alertmanager`, { ...JSON_POST, body: alertmanagerBody(name) }));
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await Promise.all(posts)).map((r) => r.status).every((s) => s === 200)).toBe(true);
    await waitFor(
      async () => (await relays[0]?.store.depth("ops")) === 0,
      20_000,
      "the shared outbox to drain",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(countAlerts(groupTexts(harness))).toEqual(expected);
    const rejections = (await (await fetch(`${harness.url}/_emulator/rejections`)).json()) as {
      reason: string;
    }[];
    expect(rejections.filter((r) => r.reason === "rate-limit")).toEqual([]);
    // Both instances took webhooks; the messages they sent add up to what the group received.
    const received = relays.map((relay) => relay.metrics.received.get({ route: "/alertmanager" }));
    expect(received).toEqual([ALERTS / 2, ALERTS / 2]);
    const sent = relays.reduce(
      (n, relay) =>
        n +
        relay.metrics.sent.get({ robot: "ops", kind: "single" }) +
        relay.metrics.sent.get({ robot: "ops", kind: "digest" }),
      0,
    );
    expect(sent).toBe(harness.emulator.store.messages.length);
  }, 60_000);

  it("keeps delivering when one instance stops: the other takes the robot over", async () => {
    const before = countAlerts(groupTexts(harness));
    await relays[0]?.stop();
    relays.shift();
    const posts = Array.from({ length: 30 }, () =>
      fetch(`${urls[1]}/alertmanager`, { ...JSON_POST, body: alertmanagerBody("AfterStop") }),
    );
    expect((await Promise.all(posts)).every((r) => r.status === 200)).toBe(true);
    await waitFor(
      () => (countAlerts(groupTexts(harness)).get("AfterStop") ?? 0) === 30,
      15_000,
      "the remaining instance to deliver",
    );
    expect(countAlerts(groupTexts(harness)).get("Redis0")).toBe(before.get("Redis0"));
  }, 30_000);

  it("answers 400 to a body nested too deep, and 200 to the good webhooks sent with it", async () => {
    const statuses = await Promise.all(
      [
        deepJson(6000),
        '{"title":"DeepGood1","status":"firing"}',
        '{"title":"DeepGood2","status":"firing"}',
      ].map(async (body) => {
        const response = await fetch(`${urls[1]}/generic`, { ...JSON_POST, body });
        return response.status;
      }),
    );
    expect(statuses).toEqual([400, 200, 200]);
    expect((await fetch(`${urls[1]}/healthz`)).status).toBe(200);
    // Past the parser's cap, the store itself refuses an entry it cannot serialise as that entry's fault
    // (400), not as Redis being down (503).
    const store = relays[relays.length - 1]?.store;
    await expect(
      store?.enqueue([outboxEntry("TooDeep", { deep: deepValue(200_000) })]),
    ).rejects.toBeInstanceOf(EntryRejectedError);
    await waitFor(
      () =>
        ["DeepGood1", "DeepGood2"].every((name) => groupTexts(harness).some((text) => text.includes(name))),
      15_000,
      "the good webhooks to be delivered",
    );
  }, 30_000);

  it("answers 503 while Redis is down, so senders retry", async () => {
    redis?.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const response = await fetch(`${urls[1]}/alertmanager`, {
      ...JSON_POST,
      body: alertmanagerBody("NoRedis"),
    });
    expect(response.status).toBe(503);
    expect((await fetch(`${urls[1]}/healthz`)).status).toBe(503);
  });
});
