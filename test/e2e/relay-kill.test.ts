/**
 * kill -9 of the relay process at random points during a storm, 20 times in a row, restarting it each time:
 * every alert the relay acknowledged (2xx) must reach the group, and the persistent send log must keep the
 * robot within its limit across the restarts (no rate-limit errcode from the emulator).
 */
import { type ChildProcess, spawn } from "node:child_process";
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
  tempDir,
  WEBHOOK,
  waitFor,
  writeConfig,
} from "./relay-harness.js";

const MAIN = fileURLToPath(new URL("../../packages/dingbot-tools/src/cli/main.ts", import.meta.url));
const ITERATIONS = 20;

let harness: EmulatorHarness;
let dir: ReturnType<typeof tempDir>;
let configFile: string;
let base: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  harness = await startEmulator({ rateLimit: 20, rateWindowMs: 1000, blockMs: 20_000 });
  dir = tempDir();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  configFile = writeConfig(
    dir.dir,
    `
listen: { host: 127.0.0.1, port: ${port} }
store: { sqlite: ./relay.db }
baseUrl: ${harness.url}
log: { level: error }
limits: { rateLimit: 20, rateWindowMs: 1000, requestTimeoutMs: 2000 }
robots:
  ops: { webhook: "${WEBHOOK}" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
`,
  );
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await harness?.close();
  dir?.cleanup();
});

function startRelay(): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--conditions=dingbot:source", "--import", "tsx", MAIN, "relay", "--config", configFile],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }, stdio: "ignore" },
  );
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(`${base}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });
}

describe("relay kill -9", () => {
  it("loses no acknowledged alert over 20 kills at random points of a storm", async () => {
    const acked = new Set<string>();
    let sequence = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const child = startRelay();
      await waitFor(healthy, 30_000, "the relay to start");
      let killed = false;
      const poster = async (): Promise<void> => {
        while (!killed) {
          const name = `Kill${iteration}x${sequence++}`;
          try {
            const response = await fetch(`${base}/alertmanager`, {
              ...JSON_POST,
              body: alertmanagerBody(name),
            });
            if (response.status === 200) acked.add(name);
          } catch {
            // Killed mid-request: not acknowledged, so the relay owes nothing for it.
          }
        }
      };
      const posters = [poster(), poster(), poster()];
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 500));
      child.kill("SIGKILL");
      await exited(child);
      killed = true;
      await Promise.all(posters);
    }
    const last = startRelay();
    await waitFor(healthy, 30_000, "the relay to start");
    await waitFor(
      () => {
        const seen = countAlerts(groupTexts(harness));
        return [...acked].every((name) => seen.has(name));
      },
      60_000,
      "every acknowledged alert to arrive",
    );
    last.kill("SIGTERM");
    await exited(last);
    const seen = countAlerts(groupTexts(harness));
    expect([...acked].filter((name) => !seen.has(name))).toEqual([]);
    expect(acked.size).toBeGreaterThan(ITERATIONS * 5);
    const rejections = (await (await fetch(`${harness.url}/_emulator/rejections`)).json()) as {
      reason: string;
    }[];
    expect(rejections.filter((r) => r.reason === "rate-limit")).toEqual([]);
  }, 170_000);
});
