import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawAnswersOnOneConnection, rawExchange } from "../http/_raw-exchange.js";
import { withFastRoutes } from "../http/fast-routes.js";
import { createRelayApp } from "./app.js";
import { parseRelayConfig } from "./config.js";
import { routesByPath } from "./ingest.js";
import { RelayMetrics } from "./metrics.js";
import { compileRouteTemplates } from "./relay.js";
import { SqliteStore } from "./store/sqlite-store.js";
import { type RelayStore, StoreUnavailableError } from "./store/store.js";
import { createWebhookHandlers } from "./webhook.js";
import { webhookFastRoute } from "./webhook-fast.js";

const TOKEN = "relay-token-for-fast-route-tests-0123";
const GH_SECRET = "github-secret-for-fast-route-tests";
const ALERTS = JSON.stringify({
  version: "4",
  status: "firing",
  receiver: "dingtalk",
  groupKey: '{}:{alertname="DiskFull"}',
  alerts: [{ status: "firing", labels: { alertname: "DiskFull", severity: "critical" } }],
});
const signed = (body: string) => `sha256=${createHmac("sha256", GH_SECRET).update(body).digest("hex")}`;
const deep = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;

/**
 * Sends one raw HTTP/1.1 request (with `Connection: close`) on its own connection and returns the raw answer,
 * its Date masked. The client does not end its side first: node:http drops a request whose client did.
 */
function exchange(port: number, request: string): Promise<string> {
  return rawExchange(port, request);
}

interface Case {
  name: string;
  path?: string;
  body?: string;
  /** Headers after Host; Content-Type and Content-Length by default. */
  headers?: string[];
  /** `Host` (127.0.0.1 and the port by default). */
  host?: string;
  /** Whether the fast route takes it (true by default). */
  fast?: boolean;
  /** Keeps the connection open (the answer then says keep-alive). */
  keepAlive?: boolean;
  /** HTTP/1.0 (node:http then writes no Content-Length of its own); HTTP/1.1 by default. */
  http10?: boolean;
}

describe("the node:http fast route of the relay's webhook POSTs", () => {
  let dir: string;
  let store: SqliteStore;
  let failing = false;
  let clockBroken = false;
  let honoServer: Server;
  let fastServer: Server;
  let honoPort: number;
  let fastPort: number;
  /** Requests the fast server left to Hono. */
  let leftToHono = 0;
  const errors: string[] = [];

  const listen = async (listener: RequestListener): Promise<[Server, number]> => {
    const server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return [server, (server.address() as AddressInfo).port];
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "relay-webhook-fast-"));
    const config = parseRelayConfig(
      `store: { sqlite: ${dir}/relay.db }
limits: { maxBodyBytes: 2000 }
robots: { ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=ops" } }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
  - { path: /only-db, source: alertmanager, robots: [ops], match: { team: db } }
  - { path: /bearer, source: alertmanager, robots: [ops], auth: { bearer: "\${TOKEN}" } }
  - { path: /header, source: generic, robots: [ops], auth: { header: X-Relay-Token, secret: "\${TOKEN}" } }
  - { path: /github, source: github, robots: [ops], secret: "\${GH_SECRET}" }
  - { path: /a/b, source: generic, robots: [ops] }`,
      join(dir, "relay.yaml"),
      { TOKEN, GH_SECRET },
    );
    store = new SqliteStore({ path: config.store.kind === "sqlite" ? config.store.path : "" });
    // The real store, refusing while `failing` is set (the relay's 503).
    const flaky: RelayStore = Object.create(store, {
      enqueue: {
        value: (entries: Parameters<RelayStore["enqueue"]>[0]) =>
          failing ? Promise.reject(new StoreUnavailableError("disk gone")) : store.enqueue(entries),
      },
    });
    const metrics = new RelayMetrics();
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (obj: object) => errors.push(JSON.stringify(obj)),
    };
    const webhooks = createWebhookHandlers(
      {
        config,
        store: flaky,
        metrics,
        logger,
        // A clock that throws stands for any unexpected error in the handler (the relay's 500).
        now: () => {
          if (clockBroken) throw new Error("clock broken");
          return 1_700_000_000_000;
        },
        onEnqueued() {},
      },
      routesByPath(compileRouteTemplates(config)),
    );
    const app = createRelayApp({ config, store: flaky, metrics, logger, webhooks });
    const hono = getRequestListener(app.fetch);
    [honoServer, honoPort] = await listen(hono);
    [fastServer, fastPort] = await listen(
      withFastRoutes(
        (req, res) => {
          leftToHono += 1;
          hono(req, res);
        },
        [webhookFastRoute(webhooks, logger)],
      ),
    );
  });

  afterAll(async () => {
    for (const server of [honoServer, fastServer]) {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  const large = JSON.stringify({ text: "x".repeat(2001) });
  const json = (body: string, more: string[] = []) => [
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...more,
  ];
  /** An Alertmanager webhook on the default route, closing its connection. */
  const ALERTS_REQUEST = [
    "POST /alertmanager HTTP/1.1",
    "Host: 127.0.0.1",
    ...json(ALERTS),
    "Connection: close",
    "",
    ALERTS,
  ].join("\r\n");
  /** The same raw request to the fast route and to the Hono route, each on its own connection. */
  const bothAnswer = (request: string) =>
    Promise.all([exchange(fastPort, request), exchange(honoPort, request)]);
  const cases: Case[] = [
    { name: "an Alertmanager webhook, accepted" },
    { name: "an accepted webhook on a kept-alive connection", keepAlive: true },
    { name: "a webhook no route's matchers accept", path: "/only-db" },
    { name: "a body that is not JSON", body: "{" },
    { name: "a body nested too deep", body: deep(80) },
    { name: "a body of the wrong shape", body: '{"alerts":{}}' },
    { name: "a browser Origin", headers: json(ALERTS, ["Origin: https://evil.example"]) },
    {
      name: "a text Content-Type",
      headers: ["Content-Type: text/plain", `Content-Length: ${ALERTS.length}`],
    },
    { name: "no Content-Type", headers: [`Content-Length: ${ALERTS.length}`] },
    {
      name: "a JSON Content-Type with parameters",
      headers: ["Content-Type: Application/JSON; charset=utf-8", `Content-Length: ${ALERTS.length}`],
    },
    { name: "a bearer route without the token", path: "/bearer" },
    {
      name: "a bearer route with the token",
      path: "/bearer",
      headers: json(ALERTS, [`Authorization: Bearer ${TOKEN}`]),
    },
    {
      name: "a header route with a wrong secret",
      path: "/header",
      headers: json(ALERTS, ["X-Relay-Token: no"]),
    },
    {
      name: "a header route with its secret",
      path: "/header",
      headers: json(ALERTS, [`X-Relay-Token: ${TOKEN}`]),
    },
    {
      name: "GitHub's ping",
      path: "/github",
      body: '{"zen":"Keep it simple."}',
      headers: json('{"zen":"Keep it simple."}', [
        "X-GitHub-Event: ping",
        `X-Hub-Signature-256: ${signed('{"zen":"Keep it simple."}')}`,
      ]),
    },
    {
      name: "a GitHub event that is not relayed",
      path: "/github",
      headers: json(ALERTS, ["X-GitHub-Event: star", `X-Hub-Signature-256: ${signed(ALERTS)}`]),
    },
    {
      name: "a GitHub event with a wrong signature",
      path: "/github",
      headers: json(ALERTS, ["X-GitHub-Event: push", `X-Hub-Signature-256: ${signed("other")}`]),
    },
    { name: "a declared body over maxBodyBytes", body: large },
    {
      name: "a chunked body over maxBodyBytes",
      body: chunked(large),
      headers: ["Content-Type: application/json", "Transfer-Encoding: chunked"],
    },
    {
      name: "a chunked webhook",
      body: chunked(ALERTS),
      headers: ["Content-Type: application/json", "Transfer-Encoding: chunked"],
    },
    { name: "a path of two segments", path: "/a/b", body: '{"title":"x"}' },
    { name: "a query after the path (left to Hono)", path: "/alertmanager?x=1", fast: false },
    { name: "a trailing slash (left to Hono)", path: "/alertmanager/", fast: false },
    { name: "a Host Hono normalises (left to Hono)", host: "Relay.Example", fast: false },
    { name: "a path that is no route (left to Hono)", path: "/nowhere", fast: false },
    { name: "an HTTP/1.0 webhook asking for keep-alive", http10: true, keepAlive: true },
    { name: "an HTTP/1.0 webhook", http10: true },
    {
      name: "an HTTP/1.0 webhook with a text Content-Type",
      http10: true,
      headers: ["Content-Type: text/plain", `Content-Length: ${ALERTS.length}`],
    },
    { name: "an HTTP/1.0 bearer route without the token", http10: true, keepAlive: true, path: "/bearer" },
  ];

  it.each(cases)("answers $name byte for byte as the Hono route", async (c) => {
    const body = c.body ?? ALERTS;
    const request = (port: number) =>
      [
        `POST ${c.path ?? "/alertmanager"} HTTP/${c.http10 ? "1.0" : "1.1"}`,
        `Host: ${c.host ?? `127.0.0.1:${port}`}`,
        ...(c.headers ?? json(body)),
        // HTTP/1.0 closes unless asked to keep the connection; HTTP/1.1 keeps it unless asked to close.
        ...(c.http10
          ? c.keepAlive
            ? ["Connection: Keep-Alive"]
            : []
          : c.keepAlive
            ? []
            : ["Connection: close"]),
        "",
        body,
      ].join("\r\n");
    const before = leftToHono;
    const send = (port: number) =>
      c.keepAlive
        ? rawAnswersOnOneConnection(port, [request(port)]).then((answers) => answers.join(""))
        : exchange(port, request(port));
    const [viaFast, viaHono] = await Promise.all([send(fastPort), send(honoPort)]);
    expect(viaFast).toBe(viaHono);
    expect(viaFast).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(leftToHono - before).toBe(c.fast === false ? 1 : 0);
  });

  it("answers 503 when the store refuses the webhook, as the Hono route", async () => {
    failing = true;
    try {
      const [viaFast, viaHono] = await bothAnswer(ALERTS_REQUEST);
      expect(viaFast).toBe(viaHono);
      expect(viaFast).toMatch(/^HTTP\/1\.1 503 /);
    } finally {
      failing = false;
    }
  });

  it("answers 500 and logs the error when the handler throws, as the Hono app's onError", async () => {
    clockBroken = true;
    errors.length = 0;
    try {
      const [viaFast, viaHono] = await bothAnswer(ALERTS_REQUEST);
      expect(viaFast).toBe(viaHono);
      expect(viaFast).toMatch(/^HTTP\/1\.1 500 /);
      expect(viaFast).toContain('{"status":"error","reason":"internal error"}');
      expect(errors).toEqual([
        JSON.stringify({ err: "clock broken" }),
        JSON.stringify({ err: "clock broken" }),
      ]);
    } finally {
      clockBroken = false;
    }
  });

  it("drains a refused body it did not read and answers the next request on the connection, as Hono", async () => {
    // 403 before the body is read: the body is read and discarded, and the connection carries on.
    const refused = [
      "POST /alertmanager HTTP/1.1",
      "Host: 127.0.0.1",
      ...json(ALERTS, ["Origin: https://x"]),
    ];
    const accepted = ["POST /alertmanager HTTP/1.1", "Host: 127.0.0.1", ...json(ALERTS)];
    const requests = [
      `${refused.join("\r\n")}\r\n\r\n${ALERTS}`,
      `${accepted.join("\r\n")}\r\n\r\n${ALERTS}`,
    ];
    const pipelined = async (port: number) =>
      (await rawAnswersOnOneConnection(port, requests, true)).join("");
    const [viaFast, viaHono] = await Promise.all([pipelined(fastPort), pipelined(honoPort)]);
    expect(viaFast.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 403", "HTTP/1.1 200"]);
    expect(viaFast).toBe(viaHono);
  });
});
