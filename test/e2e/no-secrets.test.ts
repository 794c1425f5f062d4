/**
 * Runs a representative set of `dingbot send` commands (successes, DingTalk refusals, network failures,
 * usage errors, dry runs; all with --verbose) against the emulator, and checks that nothing the CLI printed
 * contains an access token, the secret or a signature. Each vitest file runs in its own process, so this
 * file collects its own ALL_OUTPUT (cli-send.test.ts checks its own runs the same way).
 */
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_OUTPUT, runCli } from "../helpers/cli.js";

const TOKEN = "nosecrets8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0";
const KEYWORD_TOKEN = "nosecretskw1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7";
const SECRET = "SECnosecrets0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6";
const WRONG_SECRET = "SECwrongsecret9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5";

let emulator: Emulator;
let base: string;

beforeAll(async () => {
  emulator = createEmulator();
  base = await emulator.listen(0);
  emulator.store.createRobot({ accessToken: TOKEN, secret: SECRET });
  emulator.store.createRobot({ accessToken: KEYWORD_TOKEN, keywords: ["告警"] });
});

afterAll(async () => {
  await emulator?.close();
});

// Twelve CLI runs in one test: generous timeout for a loaded machine.
describe("dingbot send output", { timeout: 180_000 }, () => {
  it("never contains a token, a secret or a signature, even with --verbose", async () => {
    const hook = `${base}/robot/send?access_token=${TOKEN}`;
    const kwHook = `${base}/robot/send?access_token=${KEYWORD_TOKEN}`;
    const runs: Array<{ args: string[]; env?: Record<string, string>; code: number }> = [
      { args: ["--webhook", hook, "--secret", SECRET, "--text", "ok"], code: 0 },
      { args: ["--webhook", hook, "--secret", SECRET, "--text", "ok", "--output", "json"], code: 0 },
      { args: ["--text", "ok"], env: { DINGTALK_WEBHOOK: hook, DINGTALK_SECRET: SECRET }, code: 0 },
      { args: ["--webhook", hook, "--secret", WRONG_SECRET, "--text", "bad sign"], code: 1 },
      { args: ["--webhook", hook, "--text", "unsigned"], code: 1 },
      { args: ["--webhook", kwHook, "--text", "no keyword", "--output", "json"], code: 1 },
      {
        args: ["--webhook", `${base}/robot/send?access_token=${TOKEN}x`, "--text", "unknown token"],
        code: 1,
      },
      {
        args: [
          "--webhook",
          `http://127.0.0.1:9/robot/send?access_token=${TOKEN}`,
          "--secret",
          SECRET,
          "--text",
          "down",
        ],
        code: 1,
      },
      { args: ["--webhook", hook, "--secret", SECRET, "--markdown", "no title"], code: 2 },
      { args: ["--webhook", hook, "--secret", SECRET, "--text", "告".repeat(7000)], code: 2 },
      { args: ["--webhook", kwHook, "--keyword", "告警", "--text", "no keyword"], code: 2 },
      { args: ["--webhook", hook, "--secret", SECRET, "--text", "dry", "--dry-run"], code: 0 },
    ];
    for (const run of runs) {
      const result = await runCli(["send", ...run.args, "--verbose"], run.env ? { env: run.env } : {});
      expect(result.code, `dingbot send ${run.args.slice(2).join(" ").slice(0, 60)}`).toBe(run.code);
    }
    const everything = ALL_OUTPUT.join("\n");
    // The verbose runs did log requests, with the secret parts masked.
    expect(everything).toContain("access_token=***");
    expect(everything).toContain("sign=***");
    for (const secret of [TOKEN, KEYWORD_TOKEN, SECRET, WRONG_SECRET])
      expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/sign=(?!\*\*\*)[A-Za-z0-9%+/=]{8,}/);
  });
});
