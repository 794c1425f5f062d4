/**
 * The relay's own logs, as an operator sees them: the real CLI at debug level, through deliveries, a
 * DingTalk refusal and a bad GitHub signature. No access token, robot secret or GitHub secret may appear.
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import {
  alertmanagerBody,
  countAlerts,
  type EmulatorHarness,
  freePort,
  groupTexts,
  JSON_POST,
  startEmulator,
  TOKEN,
  tempDir,
  WEBHOOK,
  waitFor,
  writeConfig,
} from "./relay-harness.js";

const MAIN = fileURLToPath(new URL("../../packages/dingbot-tools/src/cli/main.ts", import.meta.url));
const SECRET = "SECrelaylogsecret0123456789abcdef";
const GITHUB_SECRET = "relaylogsgithubsecret0123456789";
let harness: EmulatorHarness;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  harness = await startEmulator({}, { secret: SECRET });
  dir = tempDir();
});

afterAll(async () => {
  await harness?.close();
  dir?.cleanup();
});

describe("relay logs", () => {
  it("never contain a token or a secret, even at debug level and on failures", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const file = writeConfig(
      dir.dir,
      `
listen: { port: ${port} }
store: { sqlite: ./relay.db }
log: { level: debug }
limits: { maxAttempts: 1 }
robots:
  ops: { webhook: "${WEBHOOK}", secret: "\${OPS_SECRET}" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
  - { path: /github, source: github, robots: [ops], secret: "\${GH_SECRET}" }
`,
    );
    const child = spawn(
      process.execPath,
      ["--conditions=dingbot:source", "--import", "tsx", MAIN, "relay", "--config", file],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          OPS_SECRET: SECRET,
          GH_SECRET: GITHUB_SECRET,
          DINGTALK_BASE_URL: harness.url,
        },
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitFor(
        async () => {
          try {
            return (await fetch(`${base}/healthz`)).status === 200;
          } catch {
            return false;
          }
        },
        30_000,
        "the relay to start",
      );
      expect(
        (await fetch(`${base}/alertmanager`, { ...JSON_POST, body: alertmanagerBody("Logged") })).status,
      ).toBe(200);
      await waitFor(() => countAlerts(groupTexts(harness)).has("Logged"), 10_000, "the alert");
      await fetch(`${harness.url}/_emulator/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          accessToken: TOKEN,
          kind: "errcode",
          errcode: 310000,
          errmsg: `sign not match ${TOKEN}`,
        }),
      });
      await fetch(`${base}/alertmanager`, { ...JSON_POST, body: alertmanagerBody("Refused") });
      await waitFor(() => output.includes("dead-lettered"), 10_000, "the dead letter to be logged");
      const body = '{"zen":"x"}';
      const wrong = `sha256=${createHmac("sha256", "not-the-secret").update(body).digest("hex")}`;
      const refused = await fetch(`${base}/github`, {
        method: "POST",
        body,
        headers: { ...JSON_POST.headers, "x-github-event": "ping", "x-hub-signature-256": wrong },
      });
      expect(refused.status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    expect(output).toContain('"msg":"delivered"');
    expect(output).toContain("webhook refused");
    for (const secret of [TOKEN, SECRET, GITHUB_SECRET]) expect(output).not.toContain(secret);
  }, 60_000);
});
