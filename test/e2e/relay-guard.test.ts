/**
 * What the relay refuses at its door, over real sockets: requests a web page can forge (no JSON content
 * type, a browser Origin), requests without the route's credentials, bodies nested too deep (refused alone,
 * not with the batch they arrived in), requests that trickle in (408 instead of a connection held for
 * minutes); and a server error after start-up is logged, not fatal.
 */
import { connect } from "node:net";
import { createRelay, parseRelayConfig, type Relay } from "dingbot-tools/relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alertmanagerBody,
  deepJson,
  type EmulatorHarness,
  groupTexts,
  JSON_POST,
  metric,
  startEmulator,
  tempDir,
  WEBHOOK,
  waitFor,
} from "./relay-harness.js";

const RELAY_TOKEN = "relay-token-for-guard-tests-0123456789";
let harness: EmulatorHarness;
let relay: Relay;
let url: string;
let dir: ReturnType<typeof tempDir>;
const logged: { level: string; obj: object; msg?: string }[] = [];
const logger = {
  debug() {},
  info() {},
  warn: (obj: object, msg?: string) => logged.push({ level: "warn", obj, ...(msg ? { msg } : {}) }),
  error: (obj: object, msg?: string) => logged.push({ level: "error", obj, ...(msg ? { msg } : {}) }),
};

beforeAll(async () => {
  harness = await startEmulator();
  dir = tempDir();
  const config = parseRelayConfig(
    `
listen: { headersTimeoutMs: 300, requestTimeoutMs: 600 }
store: { sqlite: ${dir.dir}/relay.db }
baseUrl: ${harness.url}
robots:
  ops: { webhook: "${WEBHOOK}" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
  - { path: /bearer, source: alertmanager, robots: [ops], auth: { bearer: "\${RELAY_TOKEN}" } }
  - { path: /header, source: generic, robots: [ops], auth: { header: X-Relay-Token, secret: "\${RELAY_TOKEN}" } }
  - { path: /generic, source: generic, robots: [ops] }
`,
    `${dir.dir}/relay.yaml`,
    { RELAY_TOKEN },
  );
  relay = await createRelay(config, { logger });
  url = await relay.start(0);
});

afterAll(async () => {
  await relay?.stop();
  await harness?.close();
  dir?.cleanup();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: "POST", body, headers });

describe("cross-site requests", () => {
  it("refuses what a web page can send without a preflight, and a browser Origin", async () => {
    // What `fetch(relay, { mode: "no-cors", body })` in a colleague's browser sends: text/plain, an Origin.
    const forged = alertmanagerBody("Forged");
    const plain = await post("/alertmanager", forged, { "content-type": "text/plain;charset=UTF-8" });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toEqual({ status: "error", reason: "Content-Type must be application/json" });
    const form = await post("/alertmanager", forged, { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const none = await fetch(`${url}/alertmanager`, {
      method: "POST",
      body: new TextEncoder().encode(forged),
    });
    expect(none.status).toBe(415);
    const withOrigin = await post("/alertmanager", forged, {
      "content-type": "application/json",
      origin: "https://evil.example",
    });
    expect(withOrigin.status).toBe(403);
    const nullOrigin = await post("/alertmanager", forged, {
      "content-type": "application/json",
      origin: "null",
    });
    expect(nullOrigin.status).toBe(403);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metric(metrics, "dingbot_relay_rejected_total", 'status="415"')).toBe(3);
    expect(metric(metrics, "dingbot_relay_rejected_total", 'status="403"')).toBe(2);
    expect(await relay.store.depth("ops")).toBe(0);
  });

  it("accepts the JSON content types Alertmanager, Grafana and others send", async () => {
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON;charset=UTF-8",
      "application/vnd.alert+json",
    ]) {
      const response = await post("/alertmanager", alertmanagerBody(`Typed ${type}`), {
        "content-type": type,
      });
      expect(response.status, type).toBe(200);
    }
  });
});

describe("route auth", () => {
  it("asks for the bearer token, and never echoes what it got", async () => {
    const body = alertmanagerBody("Bearer");
    const missing = await post("/bearer", body, JSON_POST.headers);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    const wrong = await post("/bearer", body, {
      ...JSON_POST.headers,
      authorization: "Bearer not-the-token",
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("not-the-token");
    const almost = await post("/bearer", body, {
      ...JSON_POST.headers,
      authorization: `Bearer ${RELAY_TOKEN.slice(0, -1)}`,
    });
    expect(almost.status).toBe(401);
    const right = await post("/bearer", body, {
      ...JSON_POST.headers,
      authorization: `bearer ${RELAY_TOKEN}`,
    });
    expect(right.status).toBe(200);
  });

  it("asks for the shared secret in the route's header", async () => {
    const body = '{"title":"HeaderAuth"}';
    expect((await post("/header", body, JSON_POST.headers)).status).toBe(401);
    expect((await post("/header", body, { ...JSON_POST.headers, "x-relay-token": "wrong" })).status).toBe(
      401,
    );
    // The bearer form is not the header form.
    expect(
      (await post("/header", body, { ...JSON_POST.headers, authorization: `Bearer ${RELAY_TOKEN}` })).status,
    ).toBe(401);
    expect((await post("/header", body, { ...JSON_POST.headers, "X-Relay-Token": RELAY_TOKEN })).status).toBe(
      200,
    );
    expect(JSON.stringify(logged)).not.toContain(RELAY_TOKEN);
  });
});

describe("nesting depth", () => {
  it("answers 400 to the one webhook nested too deep and accepts the good ones sent with it", async () => {
    const bodies = [
      '{"title":"Batch1","status":"firing"}',
      deepJson(6000),
      '{"title":"Batch2","status":"firing"}',
      '{"title":"Batch3","status":"firing"}',
    ];
    // Over real sockets and in-process at once, so the good ones share the store's group commit.
    const statuses = await Promise.all([
      ...bodies.map(async (body) => (await post("/generic", body, JSON_POST.headers)).status),
      ...bodies.map(
        async (body) =>
          (await relay.app.request("/generic", { ...JSON_POST, body: body.replace("Batch", "App") })).status,
      ),
    ]);
    expect(statuses).toEqual([200, 400, 200, 200, 200, 400, 200, 200]);
    const refused = await post("/generic", deepJson(6000), JSON_POST.headers);
    expect(await refused.json()).toEqual({ status: "error", reason: "JSON is nested deeper than 64 levels" });
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: "ok" });
    await waitFor(
      () =>
        ["Batch1", "Batch2", "Batch3", "App1", "App2", "App3"].every((name) =>
          groupTexts(harness).some((text) => text.includes(name)),
        ),
      15_000,
      "the good webhooks to be delivered",
    );
  });
});

/** Opens a raw connection, writes `head`, then one byte of `trickle` every 100 ms; resolves with the answer. */
function trickle(head: string, rest: string): Promise<{ answer: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    let answer = "";
    let i = 0;
    const timer = setInterval(() => {
      if (i < rest.length && socket.writable) socket.write(rest[i++] as string);
    }, 100);
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ answer, ms: Date.now() - started });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`no answer after 5 s: ${JSON.stringify(answer)}`));
    }, 5000);
  });
}

describe("slow requests", () => {
  it("answers 408 to a body that does not arrive within requestTimeoutMs, and keeps serving", async () => {
    const body = alertmanagerBody("Slow");
    const { answer, ms } = await trickle(
      `POST /alertmanager HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      body,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain("the request did not arrive within 600 ms");
    expect(ms).toBeLessThan(2500);
    // Counted once the handler saw its read fail, which may be just after the client saw the answer.
    await waitFor(
      async () =>
        metric(
          await (await fetch(`${url}/metrics`)).text(),
          "dingbot_relay_rejected_total",
          'status="408"',
        ) === 1,
      2000,
      "the 408 to be counted",
    );
    expect((await post("/alertmanager", alertmanagerBody("AfterSlow"), JSON_POST.headers)).status).toBe(200);
  });

  it("answers 408 to headers that do not arrive within headersTimeoutMs", async () => {
    const { answer, ms } = await trickle(
      "POST /alertmanager HTTP/1.1\r\n",
      "Host: relay\r\nX-Slow: 1\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(2500);
  });
});

describe("server errors after start-up", () => {
  it("are logged, and the relay keeps serving", async () => {
    const server = relay.server;
    expect(server).toBeDefined();
    const emfile = Object.assign(new Error("too many open files"), { code: "EMFILE" });
    server?.emit("error", emfile);
    server?.emit("error", emfile);
    expect(logged.filter((entry) => entry.msg === "http server error").map((entry) => entry.obj)).toEqual([
      { err: "EMFILE" },
      { err: "EMFILE" },
    ]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe("/metrics", () => {
  it("is a Prometheus exposition with the relay's names, histograms and the process metrics", async () => {
    await waitFor(
      async () => metric(await (await fetch(`${url}/metrics`)).text(), "dingbot_relay_sent_total") > 0,
      10_000,
      "a delivery",
    );
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    expect(text).toContain("# TYPE dingbot_relay_send_duration_seconds histogram");
    expect(text).toContain("# TYPE dingbot_relay_queue_wait_seconds histogram");
    expect(text).toMatch(/^dingbot_relay_send_duration_seconds_bucket\{le="\+Inf",robot="ops"\} \d+$/m);
    expect(text).toMatch(/^dingbot_relay_queue_depth\{robot="ops"\} \d+$/m);
    expect(text).toMatch(/^dingbot_relay_max_wait_seconds [\d.]+$/m);
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(metric(text, "dingbot_relay_received_total", 'route="/generic"')).toBeGreaterThan(0);
  });
});
