/**
 * Shared pieces of the relay's end-to-end tests: an emulator with one robot, config files in a temp dir,
 * alert payloads, and counting which alerts a group received (single messages and digests alike).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEmulator, type Emulator, type EmulatorOptions } from "dingbot-tools/emulator";
import { type NewOutboxEntry, parseDigestCounts } from "dingbot-tools/relay";

/** Fixture directory of the relay tests. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/relay/", import.meta.url));

/** Reads a fixture's raw text. */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** The access token of the harness robot. */
export const TOKEN = "relaytesttoken0123456789abcdef";

/**
 * Fetch options of a webhook POST: the relay refuses a body that is not declared `application/json` (415),
 * and fetch declares a string body `text/plain` by default.
 */
export const JSON_POST = { method: "POST", headers: { "content-type": "application/json" } } as const;

/** A started emulator with one robot whose group the tests read. */
export interface EmulatorHarness {
  emulator: Emulator;
  url: string;
  close(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1:0 with one robot (token {@link TOKEN}). */
export async function startEmulator(
  options: EmulatorOptions = {},
  robot: { keywords?: string[]; secret?: string } = {},
): Promise<EmulatorHarness> {
  const emulator = createEmulator(options);
  const url = await emulator.listen(0);
  emulator.store.createRobot({ accessToken: TOKEN, name: "ops", ...robot });
  return { emulator, url, close: () => emulator.close() };
}

/** A temp directory removed by `cleanup`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "dingbot-relay-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes relay.yaml into `dir` and returns its path. */
export function writeConfig(dir: string, yaml: string, name = "relay.yaml"): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** The webhook URL of the harness robot on real DingTalk (rebased onto the emulator by baseUrl). */
export const WEBHOOK = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`;

/** An Alertmanager v4 webhook with one alert. */
export function alertmanagerBody(
  name: string,
  severity = "critical",
  status: "firing" | "resolved" = "firing",
): string {
  return JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="${name}"}`,
    truncatedAlerts: 0,
    status,
    receiver: "dingtalk",
    groupLabels: { alertname: name },
    commonLabels: { alertname: name, severity },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com:9093",
    alerts: [
      {
        status,
        labels: { alertname: name, severity, instance: "web-1:9100" },
        annotations: { summary: `${name} summary` },
        startsAt: "2026-11-26T02:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: `http://prometheus.example.com/graph?g0.expr=${encodeURIComponent(name)}`,
        fingerprint: name,
      },
    ],
  });
}

/** Markdown texts of every message the harness robot's group received. */
export function groupTexts(harness: EmulatorHarness): string[] {
  return harness.emulator.store
    .listMessages({ accessToken: TOKEN })
    .map((m) => (m.body as { markdown?: { text?: string } }).markdown?.text ?? "");
}

/**
 * Counts alerts per name in what a group received: a digest line counts `×N`, a single message counts each
 * `**<emoji> <status> · <name>**` heading of the built-in alert template.
 */
export function countAlerts(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string, n: number) => counts.set(name, (counts.get(name) ?? 0) + n);
  for (const text of texts) {
    const digest = parseDigestCounts(text);
    if (digest.size > 0) {
      for (const [name, n] of digest) add(name, n);
      continue;
    }
    for (const match of text.matchAll(/^\*\*\S+ (?:告警|恢复|Firing|Resolved) · (.+?)\*\*/gmu))
      add(match[1] as string, 1);
  }
  return counts;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Waits until `check` returns true, polling; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Reads one sample of a Prometheus text exposition (sum over matching label sets). */
export function metric(text: string, name: string, labelFilter = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labelFilter && !line.includes(labelFilter)) continue;
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/**
 * A generic webhook body nested `depth` levels deep (6,000 levels is about 12 KB): `JSON.parse` copes with
 * it, the recursive code that meets it later does not.
 */
export function deepJson(depth: number, title = "Deep"): string {
  return `{"title":${JSON.stringify(title)},"nested":${"[".repeat(depth)}${"]".repeat(depth)}}`;
}

/** A value nested `depth` levels deep, built without recursion (200,000 overflows JSON.stringify). */
export function deepValue(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** An outbox entry of one firing alert for robot `ops`, with the given source context. */
export function outboxEntry(name: string, context: Record<string, unknown> = {}): NewOutboxEntry {
  return {
    robot: "ops",
    route: 0,
    createdAt: Date.now(),
    atMobiles: [],
    atUserIds: [],
    atAll: false,
    lines: [{ name, severity: "critical", status: "firing" }],
    alerts: [
      {
        name,
        severity: "critical",
        status: "firing",
        labels: {},
        annotations: {},
        atMobiles: [],
        atUserIds: [],
      },
    ],
    context,
  };
}
