/**
 * A storm: 1,000 Alertmanager alerts in 10 s to one robot (250 grouped webhooks of 4 alerts, as Alertmanager
 * groups them), against the emulator with a shortened rate window (20 messages per 5 s, a 20 s block if
 * exceeded) and the relay configured with the same window. DingTalk must never throttle, every alert must be
 * represented in the group, and while there is a backlog the robot's limit must be used to at least 95%.
 * "Backlog" is sampled every 10 ms: some accepted alert has waited more than BACKLOG_GRACE_MS (longer than a
 * send takes) and is still queued. At those instants, after the first window, the emulator's sliding window
 * must hold on average at least 19 of its 20 messages. (Right after a burst the window can have free slots
 * with nothing queued: a new webhook is then sent at once, and that is not a backlog.)
 */
import { createRelay, parseRelayConfig, type Relay } from "dingbot-tools/relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alertmanagerBody,
  countAlerts,
  type EmulatorHarness,
  groupTexts,
  JSON_POST,
  startEmulator,
  TOKEN,
  tempDir,
  WEBHOOK,
  waitFor,
} from "./relay-harness.js";

const LIMIT = 20;
const WINDOW_MS = 5000;
const PER_WEBHOOK = 4;
const BACKLOG_GRACE_MS = 250;
const ALERTS = 1000;
const STORM_MS = 10_000;
const NAMES = [
  "NodeDown",
  "HighCPU",
  "DiskFull",
  "HighLatency",
  "ErrorRate",
  "QueueBacklog",
  "CertExpiry",
  "OOMKilled",
];
const SEVERITIES = ["critical", "warning", "info", "error"];

let harness: EmulatorHarness;
let relay: Relay;
let url: string;
let dir: ReturnType<typeof tempDir>;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  harness = await startEmulator({ rateLimit: LIMIT, rateWindowMs: WINDOW_MS, blockMs: 20_000 });
  dir = tempDir();
  const config = parseRelayConfig(
    `
store: { sqlite: ${dir.dir}/relay.db }
baseUrl: ${harness.url}
limits: { rateLimit: ${LIMIT}, rateWindowMs: ${WINDOW_MS}, maxWaitMs: 4000 }
robots:
  ops: { webhook: "${WEBHOOK}" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
`,
    `${dir.dir}/relay.yaml`,
    {},
  );
  relay = await createRelay(config, { logger: quiet });
  url = await relay.start(0);
});

afterAll(async () => {
  await relay?.stop();
  await harness?.close();
  dir?.cleanup();
});

describe("relay storm", () => {
  it("delivers 1,000 alerts in 10 s within the limit, all represented, the limit used to ≥95%", async () => {
    const expected = new Map<string, number>();
    const backlogged: number[] = [];
    const sampler = setInterval(() => {
      const t = Date.now();
      void relay.store.ready("ops", Number.MAX_SAFE_INTEGER, 1).then(([oldest]) => {
        if (oldest && t - oldest.createdAt > BACKLOG_GRACE_MS) backlogged.push(t);
      });
    }, 10);
    const started = Date.now();
    const posts: Promise<Response>[] = [];
    for (let i = 0; i < ALERTS; i += PER_WEBHOOK) {
      // Spread evenly over 10 s: 100 alerts per second.
      const due = started + (i * STORM_MS) / ALERTS;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const alerts = [];
      for (let j = i; j < i + PER_WEBHOOK; j++) {
        const name = NAMES[j % NAMES.length] as string;
        expected.set(name, (expected.get(name) ?? 0) + 1);
        alerts.push(...JSON.parse(alertmanagerBody(name, SEVERITIES[j % SEVERITIES.length])).alerts);
      }
      const body = { ...JSON.parse(alertmanagerBody("storm")), alerts };
      posts.push(fetch(`${url}/alertmanager`, { ...JSON_POST, body: JSON.stringify(body) }));
    }
    const statuses = await Promise.all(posts.map(async (p) => (await p).status));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const stormEnd = Date.now();

    await waitFor(async () => (await relay.store.depth("ops")) === 0, 15_000, "the outbox to drain");
    clearInterval(sampler);
    const messages = harness.emulator.store.listMessages({ accessToken: TOKEN });

    // 0 rate-limit errcodes from the emulator.
    const rejections = (await (await fetch(`${harness.url}/_emulator/rejections`)).json()) as {
      reason: string;
    }[];
    expect(rejections.filter((r) => r.reason === "rate-limit")).toEqual([]);

    // Every alert represented: counts per name add up exactly (no loss, no duplicates).
    expect(countAlerts(groupTexts(harness))).toEqual(expected);

    // While there was a backlog, the limit was used to ≥95%.
    const times = messages.map((m) => m.time);
    const first = times[0] as number;
    const samples = backlogged.filter((t) => t >= first + WINDOW_MS);
    const occupied = samples.reduce(
      (n, t) => n + times.filter((at) => at > t - WINDOW_MS && at <= t).length,
      0,
    );
    const utilisation = occupied / (samples.length * LIMIT);
    // The storm outlasts a window, so most of its second half is backlogged.
    expect(samples.length).toBeGreaterThan(200);
    expect(utilisation).toBeGreaterThanOrEqual(0.95);
    expect(relay.metrics.folded.get({ robot: "ops" })).toBeGreaterThan(ALERTS / 2);
    // Nobody waited for ever (the bound is 4 s; generous slack for a shared, noisy machine).
    expect(relay.metrics.maxWaitMs).toBeLessThan(2 * WINDOW_MS);
    console.log(
      `storm: ${messages.length} messages, ${relay.metrics.sent.get({ robot: "ops", kind: "digest" })} digests, ` +
        `utilisation ${(utilisation * 100).toFixed(1)}% over ${samples.length} backlogged samples (storm ${stormEnd - started} ms), ` +
        `max wait ${relay.metrics.maxWaitMs} ms`,
    );
  }, 60_000);
});
