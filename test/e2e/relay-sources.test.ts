/**
 * The relay against the emulator, one source at a time: each documented payload shape becomes a readable
 * message in the group; bad input gets the right status; GitHub signatures are enforced.
 */
import { createHmac } from "node:crypto";
import { createRelay, parseRelayConfig, type Relay } from "dingbot-tools/relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EmulatorHarness,
  fixture,
  JSON_POST,
  metric,
  startEmulator,
  TOKEN,
  tempDir,
  WEBHOOK,
  waitFor,
} from "./relay-harness.js";

const GITHUB_SECRET = "github-webhook-secret-for-tests";
let harness: EmulatorHarness;
let relay: Relay;
let url: string;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  harness = await startEmulator({}, { keywords: ["告警"] });
  dir = tempDir();
  const config = parseRelayConfig(
    `
store: { sqlite: ${dir.dir}/relay.db }
limits: { maxBodyBytes: 65536 }
robots:
  ops: { webhook: "${WEBHOOK}", keywords: [告警] }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
  - { path: /critical, source: alertmanager, robots: [ops], match: { severity: critical }, atMobiles: ["13800000000"] }
  - { path: /warn, source: alertmanager, robots: [ops], match: { severity: "=~warning|info" }, language: en }
  - { path: /grafana, source: grafana, robots: [ops] }
  - { path: /github, source: github, robots: [ops], secret: "\${GH_SECRET}" }
  - { path: /generic, source: generic, robots: [ops] }
`,
    `${dir.dir}/relay.yaml`,
    // DINGTALK_BASE_URL is honoured like everywhere else in dingbot.
    { GH_SECRET: GITHUB_SECRET, DINGTALK_BASE_URL: harness.url },
  );
  relay = await createRelay(config, { env: { DINGTALK_BASE_URL: harness.url }, logger: quiet });
  url = await relay.start(0);
});

afterAll(async () => {
  await relay?.stop();
  await harness?.close();
  dir?.cleanup();
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

function signed(body: string, secret = GITHUB_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Waits for the next message in the group and returns its markdown. */
async function nextMessage(
  before: number,
): Promise<{ title: string; text: string; at?: { atMobiles?: string[] } }> {
  await waitFor(
    () => harness.emulator.store.listMessages({ accessToken: TOKEN }).length > before,
    5000,
    "a message",
  );
  const message = harness.emulator.store.listMessages({ accessToken: TOKEN })[before];
  const body = message?.body as { markdown: { title: string; text: string }; at?: { atMobiles?: string[] } };
  return { ...body.markdown, ...(body.at ? { at: body.at } : {}) };
}

const count = (): number => harness.emulator.store.listMessages({ accessToken: TOKEN }).length;

describe("relay sources", () => {
  it("relays a grouped Alertmanager firing notification with mentions from annotations", async () => {
    const before = count();
    const response = await post("/alertmanager", fixture("alertmanager-firing.json"));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "accepted", alerts: 2 });
    const message = await nextMessage(before);
    expect(message.title).toContain("告警 2 条");
    expect(message.text).toContain("HighRequestLatency");
    expect(message.text).toContain("instance=api-2:8080");
    expect(message.text).toContain("[查看详情](http://prometheus.example.com:9090/graph?");
    expect(message.at?.atMobiles).toEqual(["13800000001"]);
    expect(message.text).toContain("@13800000001");
  });

  it("says 恢复 for a resolved notification and adds the robot's keyword when missing", async () => {
    const before = count();
    expect((await post("/alertmanager", fixture("alertmanager-resolved.json"))).status).toBe(200);
    const message = await nextMessage(before);
    expect(message.title).toContain("✅ 恢复 1 条 · DiskFull");
    expect(message.text).toContain("结束：2026-11-26 09:42:00");
    expect(message.text).toContain("告警");
  });

  it("routes by label matchers and adds the route's mentions", async () => {
    const before = count();
    expect(await (await post("/critical", fixture("alertmanager-mixed.json"))).json()).toMatchObject({
      status: "accepted",
    });
    const message = await nextMessage(before);
    expect(message.text).toContain("NodeDown");
    expect(message.text).not.toContain("HighLoad");
    expect(message.at?.atMobiles).toEqual(["13800000000"]);
    const unmatched = await post("/critical", fixture("alertmanager-resolved.json"));
    expect(await unmatched.json()).toMatchObject({ status: "ignored", reason: "no route matched" });
  });

  it("writes English when the route asks for it", async () => {
    const before = count();
    await post("/warn", fixture("alertmanager-mixed.json"));
    const message = await nextMessage(before);
    expect(message.title).toContain("1 firing, 1 resolved");
    expect(message.text).toContain("**✅ Resolved · HighLoad** · Warning");
  });

  it("relays Grafana unified alerting with panel and silence links", async () => {
    const before = count();
    expect((await post("/grafana", fixture("grafana-firing.json"))).status).toBe(200);
    const message = await nextMessage(before);
    expect(message.text).toContain("High CPU usage");
    expect(message.text).toContain("(https://play.grafana.org/d/abc123?viewPanel=2)");
    expect(message.text).toContain("[静默](https://play.grafana.org/alerting/silence/new?");
    const resolved = count();
    await post("/grafana", fixture("grafana-resolved.json"));
    expect((await nextMessage(resolved)).title).toContain("恢复 1 条");
  });

  it.each([
    ["push", "github-push.json", "pushed 1 commit(s) to main"],
    ["pull_request", "github-pull_request-opened.json", "#1347 Amazing new feature"],
    ["pull_request", "github-pull_request-merged.json", "#1347 Amazing new feature"],
    ["issues", "github-issues-opened.json", "#1347 Found a bug"],
    ["workflow_run", "github-workflow_run-completed.json", "CI #562 failure on main"],
    ["release", "github-release-published.json", "v1.0.0"],
  ])("relays GitHub %s (%s)", async (event, file, expected) => {
    const body = fixture(file);
    const before = count();
    const response = await post("/github", body, {
      "x-github-event": event,
      "x-hub-signature-256": signed(body),
    });
    expect(response.status).toBe(200);
    const message = await nextMessage(before);
    expect(message.text).toContain("octocat/Hello-World");
    expect(message.text).toContain(expected);
  });

  it("answers GitHub's ping and acknowledges other events without relaying them", async () => {
    const ping = fixture("github-ping.json");
    const pong = await post("/github", ping, {
      "x-github-event": "ping",
      "x-hub-signature-256": signed(ping),
    });
    expect(await pong.json()).toEqual({ status: "pong" });
    for (const [event, file] of [
      ["star", "github-star-created.json"],
      ["pull_request", "github-pull_request-synchronize.json"],
      ["workflow_run", "github-workflow_run-requested.json"],
    ] as const) {
      const body = fixture(file);
      const answer = await post("/github", body, {
        "x-github-event": event,
        "x-hub-signature-256": signed(body),
      });
      expect(answer.status).toBe(202);
      expect(await answer.json()).toMatchObject({ status: "ignored" });
    }
  });

  it.each([
    ["a missing signature", undefined],
    ["a signature made with another secret", "wrong-secret"],
    ["a malformed signature", "sha256=xyz"],
    ["a sha1 signature", "sha1=0123456789abcdef0123456789abcdef01234567"],
  ])("refuses GitHub webhooks with %s (401)", async (_what, header) => {
    const body = fixture("github-push.json");
    const signature = header === "wrong-secret" ? signed(body, "wrong-secret") : header;
    const before = relay.metrics.received.get({ route: "/github" });
    const response = await post("/github", body, {
      "x-github-event": "push",
      ...(signature ? { "x-hub-signature-256": signature } : {}),
    });
    expect(response.status).toBe(401);
    expect(relay.metrics.received.get({ route: "/github" })).toBe(before);
  });

  it("refuses a signature over a different body", async () => {
    const body = fixture("github-push.json");
    const tampered = body.replace("Fix the login redirect", "Something else");
    const response = await post("/github", tampered, {
      "x-github-event": "push",
      "x-hub-signature-256": signed(body),
    });
    expect(response.status).toBe(401);
  });

  it("renders generic JSON with the built-in template", async () => {
    const before = count();
    expect((await post("/generic", fixture("generic.json"))).status).toBe(200);
    const message = await nextMessage(before);
    expect(message.text).toContain("Backup finished");
    expect(message.text).toContain("Nightly backup of db-1 took 42 min");
  });

  it("answers 400 for bodies that are not JSON or not the source's shape, and keeps running", async () => {
    expect((await post("/alertmanager", "{not json")).status).toBe(400);
    expect((await post("/alertmanager", JSON.stringify({ version: "4", alerts: "nope" }))).status).toBe(400);
    expect((await post("/alertmanager", JSON.stringify({ version: "3", alerts: [] }))).status).toBe(400);
    expect((await post("/grafana", JSON.stringify([1, 2]))).status).toBe(400);
    expect((await post("/generic", JSON.stringify("text"))).status).toBe(400);
    const reason = await (await post("/alertmanager", JSON.stringify({ alerts: [{}] }))).json();
    expect(reason).toMatchObject({ status: "error", reason: "alerts[0] must be an object with labels" });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("answers 413 for bodies over limits.maxBodyBytes", async () => {
    const huge = JSON.stringify({ title: "x".repeat(70_000) });
    expect((await post("/generic", huge)).status).toBe(413);
  });

  it("answers 404 for paths that are not routes", async () => {
    expect((await post("/nowhere", "{}")).status).toBe(404);
  });

  it("serves Prometheus metrics", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(metric(text, "dingbot_relay_received_total", 'route="/alertmanager"')).toBeGreaterThanOrEqual(2);
    expect(metric(text, "dingbot_relay_rejected_total", 'status="401"')).toBeGreaterThanOrEqual(4);
    expect(text).toContain('dingbot_relay_queue_depth{robot="ops"}');
    expect(text).toContain("# TYPE dingbot_relay_send_duration_seconds histogram");
    expect(metric(text, "dingbot_relay_sent_total")).toBeGreaterThan(5);
  });

  it("answers 503 when the store is unavailable, so Alertmanager retries", async () => {
    const other = tempDir();
    const config = parseRelayConfig(
      `store: { sqlite: ${other.dir}/r.db }\nrobots: { ops: { webhook: "${WEBHOOK}" } }\nroutes: [{ path: /am, source: alertmanager, robots: [ops] }]`,
      `${other.dir}/relay.yaml`,
      {},
    );
    const broken = await createRelay(config, { logger: quiet });
    await broken.store.close();
    const response = await broken.app.request("/am", {
      ...JSON_POST,
      body: fixture("alertmanager-firing.json"),
    });
    expect(response.status).toBe(503);
    expect((await broken.app.request("/healthz")).status).toBe(503);
    other.cleanup();
  });
});
