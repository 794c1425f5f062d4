/**
 * `dingbot robot recall` end to end: the real CLI (spawned from source) against the emulator, which keeps
 * each robot OpenAPI send under its processQueryKey. A key printed by `robot send` recalls the 1:1 message
 * (otoMessages/batchRecall) or, with --conversation-id, the group's (groupMessages/recall); a key that cannot
 * be recalled is named with DingTalk's reason and the command exits 1.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_OUTPUT, runCli } from "../helpers/cli.js";

const APP_KEY = "dingrecallcli01";
const APP_SECRET = "recall-cli-secret-a1b2c3d4e5f60718293a4b5c6d7e8f90";

let emulator: Emulator;
let env: Record<string, string>;
let group: string;

beforeAll(async () => {
  emulator = createEmulator();
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, name: "撤回" });
  emulator.store.createUser({ userId: "manager1234", name: "张三" });
  group = emulator.store.createConversation({
    type: "group",
    title: "值班群",
    members: ["manager1234"],
    robots: [APP_KEY],
  }).conversationId;
  env = {
    DINGTALK_BASE_URL: await emulator.listen(0),
    DINGTALK_APP_KEY: APP_KEY,
    DINGTALK_APP_SECRET: APP_SECRET,
    DINGBOT_CACHE_DIR: mkdtempSync(join(tmpdir(), "dingbot-recall-cli-")),
  };
});
afterAll(async () => {
  await emulator.close();
});

/** Sends with `robot send --output json` and returns the processQueryKey it printed. */
async function send(args: string[]): Promise<string> {
  const result = await runCli(["robot", "send", ...args, "--text", "撤回我", "--output", "json"], { env });
  expect(result.code).toBe(0);
  const answer = JSON.parse(result.stdout) as { processQueryKey?: string; processQueryKeys?: string[] };
  return answer.processQueryKey ?? answer.processQueryKeys?.[0] ?? "";
}

/** Whether the emulator shows the message of this key as recalled. */
const recalled = (key: string): boolean =>
  emulator.store.messages.some((m) => m.meta?.processQueryKey === key && m.meta?.recalled === true);

describe("dingbot robot recall", () => {
  it("recalls a 1:1 message by the key robot send printed", async () => {
    const key = await send(["--user-id", "manager1234"]);
    const result = await runCli(["robot", "recall", key], { env });
    expect(result).toMatchObject({ code: 0, stdout: "recalled 1 of 1 messages\n", stderr: "" });
    expect(recalled(key)).toBe(true);
  });

  it("recalls a group message with --conversation-id, with --output json", async () => {
    const key = await send(["--conversation-id", group]);
    const result = await runCli(["robot", "recall", key, "--conversation-id", group, "--output", "json"], {
      env,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, successResult: [key], failedResult: {} });
    expect(recalled(key)).toBe(true);
  });

  it("exits 1 naming each key that was not recalled, with DingTalk's reason and a hint", async () => {
    const key = await send(["--user-id", "manager1234"]);
    const result = await runCli(["robot", "recall", key, "no-such-key"], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^recalled 1 of 2 messages\nno-such-key: NOT recalled — \S+\n$/);
    expect(result.stderr).toMatch(/^hint: .*within 24 h.*a group's needs --conversation-id\n$/);
    expect(recalled(key)).toBe(true);
    const json = await runCli(["robot", "recall", "no-such-key", "--output", "json"], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, successResult: [] });
  });

  it("exits 2 without a key, or with an empty one, and 1 when DingTalk refuses the credentials", async () => {
    const none = await runCli(["robot", "recall"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing required argument 'keys'/);
    const empty = await runCli(["robot", "recall", ""], { env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/error: a processQueryKey is empty\nhint: /);
    const wrong = await runCli(["robot", "recall", "k", "--no-cache"], {
      env: { ...env, DINGTALK_APP_SECRET: "not-the-secret-000000000000" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/DingTalk refused the credentials/);
  });

  it("never prints the app secret", () => {
    const output = ALL_OUTPUT.join("\n");
    expect(output).not.toContain(APP_SECRET);
    expect(output).not.toContain("not-the-secret-000000000000");
  });
});
