import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange } from "../http/_raw-exchange.js";
import { parseRelayConfig } from "./config.js";
import { createRelay, type Relay } from "./relay.js";

const BODY = JSON.stringify({ version: "4", status: "firing", alerts: [{ labels: { alertname: "X" } }] });

/** Sends one request and ends the client's side at once (as `nc -N` or a shell pipe does). */
function halfClosed(port: number, path: string): Promise<string> {
  return rawExchange(
    port,
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    true,
  );
}

describe("the relay's HTTP server", () => {
  let dir: string;
  let relay: Relay;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "relay-server-"));
    const config = parseRelayConfig(
      `store: { sqlite: ${dir}/relay.db }
baseUrl: http://127.0.0.1:9
robots: { ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=ops" } }
routes: [{ path: /alertmanager, source: alertmanager, robots: [ops] }]`,
      join(dir, "relay.yaml"),
      {},
    );
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    relay = await createRelay(config, { logger: quiet });
    port = Number(new URL(await relay.start(0)).port);
  });

  afterAll(async () => {
    await relay?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a client that ended its side after the request, once the webhook committed", async () => {
    for (let i = 0; i < 20; i++) {
      expect(await halfClosed(port, "/alertmanager")).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    }
    expect(await relay.store.depth("ops")).toBe(20);
    // The same on a path Hono answers.
    expect(await halfClosed(port, "/nowhere")).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });
});
