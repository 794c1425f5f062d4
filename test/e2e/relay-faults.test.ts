/**
 * DingTalk misbehaving, played by the emulator's fault injection: 5xx answers, connection resets, answers
 * slower than the relay's timeout, rate-limit errcodes and "system busy". The relay must retry a bounded
 * number of times, wait out rate windows, lose nothing, and dead-letter what DingTalk refuses for good.
 */
import { createRelay, loadRelayConfig, type Relay } from "dingbot-tools/relay";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
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
  writeConfig,
} from "./relay-harness.js";

let harness: EmulatorHarness;
let relay: Relay;
let url: string;
let dir: ReturnType<typeof tempDir>;
let configFile: string;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  harness = await startEmulator({ rateLimit: 20, rateWindowMs: 1000, blockMs: 20_000 });
  dir = tempDir();
  configFile = writeConfig(
    dir.dir,
    `
store: { sqlite: ./relay.db }
baseUrl: ${harness.url}
log: { level: silent }
limits: { rateLimit: 20, rateWindowMs: 1000, requestTimeoutMs: 400, retryBaseMs: 50, retryMaxMs: 400, maxAttempts: 6 }
robots:
  ops: { webhook: "${WEBHOOK}" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
`,
  );
  relay = await createRelay(loadRelayConfig(configFile, {}), { logger: quiet });
  url = await relay.start(0);
});

afterAll(async () => {
  await relay?.stop();
  await harness?.close();
  dir?.cleanup();
});

beforeEach(async () => {
  await fetch(`${harness.url}/_emulator/faults`, { method: "DELETE" });
});

async function fault(spec: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${harness.url}/_emulator/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ accessToken: TOKEN, ...spec }),
  });
  expect(response.status).toBe(201);
}

async function postAlert(name: string): Promise<void> {
  const response = await fetch(`${url}/alertmanager`, { ...JSON_POST, body: alertmanagerBody(name) });
  expect(response.status).toBe(200);
}

const rateLimitRejections = async (): Promise<number> =>
  ((await (await fetch(`${harness.url}/_emulator/rejections`)).json()) as { reason: string }[]).filter(
    (r) => r.reason === "rate-limit",
  ).length;

describe("relay under DingTalk faults", () => {
  it("retries 5xx, resets, timeouts, busy and rate-limit answers, and loses nothing", async () => {
    await fault({ kind: "http5xx", count: 3 });
    await fault({ kind: "reset", count: 2 });
    await fault({ kind: "delay", delayMs: 600, count: 2 });
    await fault({ kind: "errcode", errcode: 410100, count: 2 });
    await fault({ kind: "errcode", errcode: 130101, count: 1 });
    await fault({ kind: "errcode", errcode: -1, count: 2 });
    const names = Array.from({ length: 40 }, (_, i) => `Fault${i}`);
    for (const name of names) await postAlert(name);
    await waitFor(
      () => names.every((name) => countAlerts(groupTexts(harness)).has(name)),
      20_000,
      "every alert to arrive",
    );
    const pending = (await (await fetch(`${harness.url}/_emulator/faults`)).json()) as unknown[];
    expect(pending).toEqual([]);
    expect(relay.metrics.retried.get({ robot: "ops" })).toBeGreaterThanOrEqual(9);
    expect(relay.metrics.rateLimited.get({ robot: "ops" })).toBe(3);
    expect(relay.metrics.deadLettered.get({ robot: "ops" })).toBe(0);
    expect(await rateLimitRejections()).toBe(0);
  }, 40_000);

  it("gives up after maxAttempts and dead-letters with the reason, then `relay dlq retry` delivers it", async () => {
    await fault({ kind: "http5xx", status: 502, count: 100 });
    await postAlert("AlwaysFailing");
    await waitFor(async () => (await relay.store.listDead()).length === 1, 15_000, "a dead letter");
    const faults = (await (await fetch(`${harness.url}/_emulator/faults`)).json()) as { hits: number }[];
    expect(faults[0]?.hits).toBe(6);
    const [dead] = await relay.store.listDead();
    expect(dead?.reason).toBe("gave up after 6 attempts: HTTP 502");

    const listed = await runCli(["relay", "dlq", "list", "--config", configFile]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("gave up after 6 attempts: HTTP 502");
    expect(listed.stdout).not.toContain(TOKEN);

    await fetch(`${harness.url}/_emulator/faults`, { method: "DELETE" });
    const retried = await runCli(["relay", "dlq", "retry", dead?.id as string, "--config", configFile]);
    expect(retried.code).toBe(0);
    await waitFor(() => countAlerts(groupTexts(harness)).has("AlwaysFailing"), 15_000, "the retried alert");
    expect(await relay.store.listDead()).toEqual([]);
  }, 40_000);

  it("dead-letters at once what DingTalk refuses for good (unknown token, disbanded group)", async () => {
    await fault({ kind: "errcode", errcode: 300005, count: 1 });
    await postAlert("TokenGone");
    await waitFor(async () => (await relay.store.listDead()).length === 1, 10_000, "a dead letter");
    await fault({ kind: "errcode", errcode: 400013, count: 1 });
    await postAlert("GroupGone");
    await waitFor(async () => (await relay.store.listDead()).length === 2, 10_000, "a second dead letter");
    const dead = await relay.store.listDead();
    expect(dead.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^permanent: errcode 300005/),
      expect.stringMatching(/^permanent: errcode 400013/),
    ]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/dingbot_relay_dead_lettered_total\{robot="ops"\} [1-9]/);
    const dropped = await runCli(["relay", "dlq", "drop", dead[0]?.id as string, "--config", configFile]);
    expect(dropped.code).toBe(0);
    expect((await relay.store.listDead()).length).toBe(1);
    const unknown = await runCli(["relay", "dlq", "drop", "999999", "--config", configFile]);
    expect(unknown.code).toBe(1);
  }, 30_000);
});
