/**
 * `dingbot notify`, `robot send`, `token` and `api` end to end: the real CLI (spawned from source)
 * against the emulator on a loopback port.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALL_OUTPUT, runCli } from "../helpers/cli.js";

const APP_KEY = "dingcliapp00042";
const APP_SECRET = "cli-app-secret-5e4d3c2b1a09f8e7d6c5b4a39281706f";
const AGENT_ID = "314159265";

let emulator: Emulator;
let base: string;
let cacheDir: string;
let env: Record<string, string>;
const shownTokens: string[] = [];

beforeAll(async () => {
  emulator = createEmulator({ notificationDelayMs: 200 });
  emulator.store.createApp({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    agentId: Number(AGENT_ID),
    name: "CLI通知",
  });
  emulator.store.createUser({ userId: "manager1234", mobile: "13800000000", name: "张三" });
  emulator.store.createUser({ userId: "user002", mobile: "13800000002", name: "李四" });
  base = await emulator.listen(0);
  cacheDir = mkdtempSync(join(tmpdir(), "dingbot-cli-cache-"));
  env = {
    DINGTALK_BASE_URL: base,
    DINGTALK_APP_KEY: APP_KEY,
    DINGTALK_APP_SECRET: APP_SECRET,
    DINGTALK_AGENT_ID: AGENT_ID,
    DINGBOT_CACHE_DIR: cacheDir,
  };
});

afterAll(async () => {
  await emulator.close();
});

describe("dingbot notify", () => {
  it("sends to a mobile number and, with --wait, prints the recipient's delivery outcome", async () => {
    const result = await runCli(["notify", "--mobile", "13800000000", "--text", "报销已审批 #1", "--wait"], {
      env,
    });
    expect(result.stderr).toContain("progress:");
    expect(result.stdout).toContain("manager1234 (13800000000): unread");
    expect(result.code).toBe(0);
    const delivered = emulator.store.messages.filter((m) => m.via === "work-notification");
    expect(delivered.at(-1)?.body).toEqual({ msgtype: "text", text: { content: "报销已审批 #1" } });
  });

  it("exits 1 and says why when a recipient did not get it", async () => {
    const result = await runCli(
      [
        "notify",
        "--user-id",
        "ghost",
        "--user-id",
        "user002",
        "--markdown",
        "**hi**",
        "--title",
        "t",
        "--wait",
      ],
      { env },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("ghost: invalid");
    expect(result.stdout).toContain("user002: unread");
  });

  it("prints JSON outcomes with --output json", async () => {
    const result = await runCli(
      ["notify", "--user-id", "user002", "--text", "json #2", "--wait", "--output", "json"],
      { env },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      done: true,
      recipients: [{ userId: "user002", outcome: "unread" }],
    });
  });

  it("returns at once without --wait, naming the task", async () => {
    const result = await runCli(["notify", "--all", "--text", "全员通知 #3"], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/task \d+ \(everyone\)/);
    // The emulator delivers it later (notificationDelayMs): let it land here, not in the next test's counts.
    await vi.waitFor(() => {
      const landed = emulator.store.messages.filter((m) => JSON.stringify(m.body).includes("全员通知 #3"));
      expect(landed).toHaveLength(2);
    });
  });

  it("exits 1 for a mobile nobody has, before sending", async () => {
    const before = emulator.store.messages.length;
    const result = await runCli(["notify", "--mobile", "10000000000", "--text", "x"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no user with mobile 10000000000");
    expect(emulator.store.messages.length).toBe(before);
  });

  it("exits 2 with a hint when the credentials or recipients are missing", async () => {
    const noSecret = await runCli(["notify", "--user-id", "u", "--text", "x"], {
      env: { ...env, DINGTALK_APP_SECRET: undefined },
    });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("DINGTALK_APP_SECRET");
    const noAgent = await runCli(["notify", "--user-id", "u", "--text", "x"], {
      env: { ...env, DINGTALK_AGENT_ID: undefined },
    });
    expect(noAgent.code).toBe(2);
    expect(noAgent.stderr).toContain("DINGTALK_AGENT_ID");
    const noOne = await runCli(["notify", "--text", "x"], { env });
    expect(noOne.code).toBe(2);
    expect(noOne.stderr).toContain("--mobile");
    const at = await runCli(["notify", "--user-id", "u", "--text", "x", "--at-all"], { env });
    expect(at.code).toBe(2);
  });

  it("reads --timeout as a duration like every other command, refusing a bare 60 (60 ms) with exit 2", async () => {
    const bare = await runCli(
      ["notify", "--user-id", "user002", "--text", "x", "--wait", "--timeout", "60"],
      {
        env,
      },
    );
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--timeout must be at least 1s, got "60" (60 alone is milliseconds)');
    expect(bare.stderr).toContain("60s");
    const withUnit = await runCli(
      ["notify", "--user-id", "user002", "--text", "timeout #4", "--wait", "--timeout", "30s"],
      { env },
    );
    expect(withUnit.code).toBe(0);
  });

  it("exits 1 for a wrong app secret and never prints it", async () => {
    const wrong = "wrong-secret-which-must-not-be-printed-0123456789";
    const result = await runCli(["notify", "--user-id", "u", "--text", "x", "--no-cache"], {
      env: { ...env, DINGTALK_APP_SECRET: wrong },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("40096");
    expect(result.stderr + result.stdout).not.toContain(wrong);
  });
});

describe("dingbot robot send", () => {
  it("sends 1:1 from the message flags", async () => {
    const result = await runCli(["robot", "send", "--user-id", "manager1234", "--text", "构建完成"], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("sent sampleText to 1 of 1 people");
    expect(emulator.store.messages.at(-1)).toMatchObject({
      via: "openapi",
      body: { msgtype: "text", text: { content: "构建完成" } },
    });
  });

  it("counts a userid given twice as one person", async () => {
    const result = await runCli(
      [
        "robot",
        "send",
        "--user-id",
        "manager1234",
        "--user-id",
        "manager1234",
        "--user-id",
        "ghost",
        "--text",
        "x",
      ],
      { env },
    );
    expect(result.stdout).toContain("sent sampleText to 1 of 2 people");
    expect(result.stdout).toContain("ghost: NOT sent");
    expect(result.code).toBe(1);
  });

  it("sends a --msg-key template with --param to a group", async () => {
    const group = emulator.store.createConversation({
      type: "group",
      title: "值班群",
      members: ["manager1234"],
      robots: [APP_KEY],
    });
    const result = await runCli(
      [
        "robot",
        "send",
        "--conversation-id",
        group.conversationId,
        "--msg-key",
        "sampleMarkdown",
        "--param",
        "title=日报",
        "--param",
        "text=**完成**",
      ],
      { env },
    );
    expect(result.code).toBe(0);
    expect(emulator.store.listMessages({ conversationId: group.conversationId }).at(-1)?.body).toMatchObject({
      msgKey: "sampleMarkdown",
      markdown: { title: "日报", text: "**完成**" },
    });
  });

  it("exits 2 for an unknown msgKey or missing params, and 1 for an invalid userid", async () => {
    const unknown = await runCli(["robot", "send", "--user-id", "u", "--msg-key", "sampleFoo"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("sampleText");
    const missing = await runCli(
      ["robot", "send", "--user-id", "u", "--msg-key", "sampleMarkdown", "--param", "title=t"],
      { env },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("text");
    const invalid = await runCli(["robot", "send", "--user-id", "ghost", "--text", "x"], { env });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain("ghost: NOT sent");
  });
});

describe("dingbot token", () => {
  it("shows the expiry but not the token, reuses the cached token, and prints it only with --show", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-token-cache-"));
    const local = { ...env, DINGBOT_CACHE_DIR: dir };
    const issuedBefore = emulator.ctx.appApi.tokens.issued.api;
    const first = await runCli(["token", "--style", "api"], { env: local });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /api token of app dingcliapp00042 .* expires at \d{4}-\d\d-\d\dT.* \(in \d+ s\)/,
    );
    const shown = await runCli(["token", "--style", "api", "--show"], { env: local });
    const token = shown.stdout.trim().split("\n").at(-1) ?? "";
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    shownTokens.push(token);
    expect(first.stdout).not.toContain(token);
    expect(emulator.ctx.appApi.tokens.issued.api - issuedBefore).toBe(1);
  });

  it("does not hand a cached token to a wrong app secret (the cache key includes a hash of the secret)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-token-cache-"));
    const local = { ...env, DINGBOT_CACHE_DIR: dir };
    expect((await runCli(["token"], { env: local })).code).toBe(0);
    const wrong = "wrong-secret-for-the-cache-test-9f8e7d6c5b4a3";
    const token = await runCli(["token", "--show"], { env: { ...local, DINGTALK_APP_SECRET: wrong } });
    expect(token.code).toBe(1);
    expect(token.stderr).toContain("DingTalk refused the credentials");
    const notify = await runCli(["notify", "--user-id", "user002", "--text", "x"], {
      env: { ...local, DINGTALK_APP_SECRET: wrong },
    });
    expect(notify.code).toBe(1);
    const output = token.stdout + token.stderr + notify.stdout + notify.stderr;
    expect(output).not.toContain(wrong);
    // The cache file holds neither secret.
    const file = readFileSync(join(dir, "tokens.json"), "utf8");
    expect(file).not.toContain(APP_SECRET);
    expect(file).not.toContain(wrong);
  });
});

describe("dingbot api", () => {
  it("calls an old-API endpoint with the query token", async () => {
    const result = await runCli(
      ["api", "POST", "/topapi/v2/user/get", "--data", '{"userid":"manager1234"}'],
      { env },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      errcode: 0,
      result: { userid: "manager1234", name: "张三" },
    });
  });

  it("calls a new-API endpoint with the header token, reading --data from a file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-api-"));
    writeFileSync(
      join(dir, "body.json"),
      JSON.stringify({
        robotCode: APP_KEY,
        userIds: ["user002"],
        msgKey: "sampleText",
        msgParam: '{"content":"via api"}',
      }),
    );
    const result = await runCli(
      ["api", "POST", "/v1.0/robot/oToMessages/batchSend", "--data", `@${join(dir, "body.json")}`],
      { env },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      processQueryKey: expect.any(String),
      invalidStaffIdList: [],
    });
  });

  it("exits 1 with DingTalk's error, and 2 for bad usage", async () => {
    const refused = await runCli(
      [
        "api",
        "GET",
        "/v1.0/robot/oToMessages/readStatus",
        "-q",
        `robotCode=${APP_KEY}`,
        "-q",
        "processQueryKey=nope",
      ],
      { env },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("invalid.processQueryKey");
    expect((await runCli(["api", "FETCH", "/x"], { env })).code).toBe(2);
    expect((await runCli(["api", "POST", "/topapi/v2/user/get", "--data", "{not json"], { env })).code).toBe(
      2,
    );
  });
});

describe("app commands' output", () => {
  it("never contains the app secret, nor a token outside `token --show`", () => {
    const everything = ALL_OUTPUT.join("\n");
    expect(everything.length).toBeGreaterThan(0);
    expect(everything).not.toContain(APP_SECRET);
    const shown = ALL_OUTPUT.filter((text) => shownTokens.some((t) => text.trim().endsWith(t)));
    const rest = ALL_OUTPUT.filter((text) => !shown.includes(text)).join("\n");
    for (const token of shownTokens) expect(rest).not.toContain(token);
  });
});
