/**
 * `dingbot send` end to end: the real CLI (spawned from source) against the real emulator on a loopback
 * port, for every message type, every security mode, every errcode path and every kind of bad usage.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_OUTPUT, type CliResult, runCli } from "../helpers/cli.js";

// Long, distinctive values so the last test can search every output for them.
const PLAIN = "e2eplain7c1f0b6a2d9e4f3a8b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c";
const SIGNED = "e2esigned4a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7";
const SECRET = "SECe2e9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3d2";
const KEYWORD = "e2ekeyword1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8";
const IP_OK = "e2eipok5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e";
const IP_BAD = "e2eipbad0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8e";
const UNKNOWN = "e2eunknown3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0";
const FAULTY = "e2efaulty9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";
const TOKENS = [PLAIN, SIGNED, KEYWORD, IP_OK, IP_BAD, UNKNOWN, FAULTY];

let emulator: Emulator;
let base: string;
let dir: string;

beforeAll(async () => {
  emulator = createEmulator();
  base = await emulator.listen(0);
  const { store } = emulator;
  store.createRobot({ accessToken: PLAIN, name: "plain" });
  store.createRobot({ accessToken: SIGNED, name: "signed", secret: SECRET });
  store.createRobot({ accessToken: KEYWORD, name: "keyword", keywords: ["告警", "alert"] });
  store.createRobot({ accessToken: IP_OK, name: "ip-ok", ipWhitelist: ["127.0.0.0/8", "::1"] });
  store.createRobot({ accessToken: IP_BAD, name: "ip-bad", ipWhitelist: ["10.1.2.3"] });
  store.createRobot({ accessToken: FAULTY, name: "faulty" });
  dir = mkdtempSync(join(tmpdir(), "dingbot-send-"));
});

afterAll(async () => {
  await emulator?.close();
});

const hook = (token: string): string => `${base}/robot/send?access_token=${token}`;
const send = (
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> =>
  // The child runs from the repository root (tsx resolves from there): files are passed by absolute path.
  runCli(["send", ...args], options);
const lastBody = (token: string): Record<string, unknown> | undefined =>
  emulator.store.listMessages({ accessToken: token }).at(-1)?.body;
const count = (token: string): number => emulator.store.listMessages({ accessToken: token }).length;

async function fault(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${base}/_emulator/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ accessToken: FAULTY, ...body }),
  });
  expect(response.status).toBeLessThan(300);
}

// Each test spawns the CLI (about 0.5 s each, several seconds on a loaded machine).
describe("dingbot send: message types", { timeout: 90_000 }, () => {
  it("sends text with mentions, adding the @tokens DingTalk needs", async () => {
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--text",
      "构建完成",
      "--at-mobile",
      "13800000000",
      "--at-user-id",
      "user001",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("sent text message");
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "text",
      text: { content: "构建完成\n@13800000000 @user001" },
      at: { atMobiles: ["13800000000"], atUserIds: ["user001"] },
    });
  });

  it("sends markdown with --at-all", async () => {
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--markdown",
      "### 服务异常\n> down",
      "--title",
      "告警",
      "--at-all",
    ]);
    expect(r.code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "markdown",
      markdown: { title: "告警", text: "### 服务异常\n> down" },
      at: { isAtAll: true },
    });
  });

  it("sends a link card", async () => {
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--link",
      "https://example.com/r",
      "--title",
      "发布公告",
      "--text",
      "v2.1 已发布",
      "--pic-url",
      "https://example.com/p.png",
    ]);
    expect(r.code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "link",
      link: {
        title: "发布公告",
        text: "v2.1 已发布",
        messageUrl: "https://example.com/r",
        picUrl: "https://example.com/p.png",
      },
    });
  });

  it("sends an action card with buttons, vertically", async () => {
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--action-card",
      "## 报销申请",
      "--title",
      "审批",
      "--button",
      "同意=https://example.com/a?x=1",
      "--button",
      "拒绝=https://example.com/r",
      "--vertical",
    ]);
    expect(r.code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "actionCard",
      actionCard: {
        title: "审批",
        text: "## 报销申请",
        btns: [
          { title: "同意", actionURL: "https://example.com/a?x=1" },
          { title: "拒绝", actionURL: "https://example.com/r" },
        ],
        btnOrientation: "0",
      },
    });
  });

  it("sends a whole-card action card", async () => {
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--action-card",
      "## 评审邀请",
      "--title",
      "评审",
      "--single-url",
      "https://example.com",
      "--single-title",
      "查看",
    ]);
    expect(r.code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "actionCard",
      actionCard: {
        title: "评审",
        text: "## 评审邀请",
        singleTitle: "查看",
        singleURL: "https://example.com",
      },
    });
  });

  it("sends a feed card", async () => {
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--feed-item",
      "文档1|https://e.com/1|https://e.com/1.png",
      "--feed-item",
      "文档2|https://e.com/2",
    ]);
    expect(r.code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "feedCard",
      feedCard: {
        links: [
          { title: "文档1", messageURL: "https://e.com/1", picURL: "https://e.com/1.png" },
          { title: "文档2", messageURL: "https://e.com/2", picURL: "" },
        ],
      },
    });
  });

  it("sends a whole body from --json FILE and from --json -", async () => {
    const body = { msgtype: "text", text: { content: "from json" } };
    writeFileSync(join(dir, "body.json"), JSON.stringify(body));
    expect((await send(["--webhook", hook(PLAIN), "--json", join(dir, "body.json")])).code).toBe(0);
    expect(lastBody(PLAIN)).toEqual(body);
    const stdinBody = { msgtype: "markdown", markdown: { title: "t", text: "from stdin" } };
    expect(
      (await send(["--webhook", hook(PLAIN), "--json", "-"], { stdin: JSON.stringify(stdinBody) })).code,
    ).toBe(0);
    expect(lastBody(PLAIN)).toEqual(stdinBody);
  });

  it("reads text from stdin (-) and from a file (@path), dropping one trailing newline", async () => {
    expect((await send(["--webhook", hook(PLAIN), "--text", "-"], { stdin: "来自标准输入\n" })).code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({ msgtype: "text", text: { content: "来自标准输入" } });
    writeFileSync(join(dir, "report.md"), "# 日报\n\n- 一切正常\n");
    expect(
      (await send(["--webhook", hook(PLAIN), "--markdown", `@${join(dir, "report.md")}`, "--title", "日报"]))
        .code,
    ).toBe(0);
    expect(lastBody(PLAIN)).toEqual({
      msgtype: "markdown",
      markdown: { title: "日报", text: "# 日报\n\n- 一切正常" },
    });
    expect((await send(["--webhook", hook(PLAIN), "--text", "@@13800000000 literal"])).code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({ msgtype: "text", text: { content: "@13800000000 literal" } });
  });

  it("takes the webhook, secret and base URL from the environment", async () => {
    const r = await send(["--text", "env"], {
      env: {
        DINGTALK_WEBHOOK: `https://oapi.dingtalk.com/robot/send?access_token=${SIGNED}`,
        DINGTALK_SECRET: SECRET,
        DINGTALK_BASE_URL: base,
      },
    });
    expect(r.code).toBe(0);
    expect(lastBody(SIGNED)).toEqual({ msgtype: "text", text: { content: "env" } });
  });

  it("rebases a real DingTalk webhook with --base-url", async () => {
    const r = await send([
      "--webhook",
      `https://oapi.dingtalk.com/robot/send?access_token=${PLAIN}`,
      "--base-url",
      base,
      "--text",
      "rebased",
    ]);
    expect(r.code).toBe(0);
    expect(lastBody(PLAIN)).toEqual({ msgtype: "text", text: { content: "rebased" } });
  });

  it("prints a machine-readable result with --output json", async () => {
    const r = await send(["--webhook", hook(PLAIN), "--text", "json out", "--output", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      msgtype: "text",
      errcode: 0,
      errmsg: "ok",
      parts: 1,
      attempts: 1,
    });
  });

  it("prints the exact body with --dry-run and sends nothing", async () => {
    const before = count(PLAIN);
    const r = await send([
      "--webhook",
      hook(PLAIN),
      "--text",
      "dry",
      "--at-mobile",
      "13800000000",
      "--dry-run",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '{"msgtype":"text","text":{"content":"dry\\n@13800000000"},"at":{"atMobiles":["13800000000"]}}\n',
    );
    expect(count(PLAIN)).toBe(before);
  });
});

describe("dingbot send: security modes", { timeout: 90_000 }, () => {
  it("signs with --secret (加签)", async () => {
    const r = await send(["--webhook", hook(SIGNED), "--secret", SECRET, "--text", "signed"]);
    expect(r.code).toBe(0);
    expect(lastBody(SIGNED)).toEqual({ msgtype: "text", text: { content: "signed" } });
  });

  it("fails with errcode 310000 and the signature hint when the secret is wrong", async () => {
    const r = await send(["--webhook", hook(SIGNED), "--secret", "SECwrongwrongwrong", "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("errcode 310000");
    expect(r.stderr).toContain("机器人发送签名不匹配");
    expect(r.stderr).toMatch(/hint: The signature does not match/);
  });

  it("fails with the signature hint when the robot needs a secret and none is given", async () => {
    const r = await send(["--webhook", hook(SIGNED), "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("errcode 310000");
  });

  it("fails with the clock hint when the timestamp is over an hour off", async () => {
    const skewed = createEmulator({ now: () => Date.now() + 2 * 3_600_000 });
    const skewedBase = await skewed.listen(0);
    skewed.store.createRobot({ accessToken: SIGNED, secret: SECRET });
    try {
      const r = await send([
        "--webhook",
        `${skewedBase}/robot/send?access_token=${SIGNED}`,
        "--secret",
        SECRET,
        "--text",
        "x",
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("机器人发送签名过期");
      expect(r.stderr).toMatch(/hint: .*clock/);
    } finally {
      await skewed.close();
    }
  });

  it("passes the keyword check when the text has a keyword", async () => {
    const r = await send(["--webhook", hook(KEYWORD), "--text", "告警: disk full"]);
    expect(r.code).toBe(0);
  });

  it("fails with 310000 and says the robot's keyword must appear in the text", async () => {
    const r = await send(["--webhook", hook(KEYWORD), "--text", "disk full", "--output", "json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("关键词不匹配");
    expect(r.stderr).toMatch(/keyword must appear/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, errcode: 310000, kind: "config" });
  });

  it("refuses before sending when --keyword is given and missing (exit 2)", async () => {
    const before = emulator.store.rejections.length;
    const r = await send(["--webhook", hook(KEYWORD), "--keyword", "告警", "--text", "disk full"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none of the robot's keywords/);
    expect(emulator.store.rejections.length).toBe(before);
  });

  it("passes the IP whitelist from 127.0.0.1", async () => {
    const r = await send(["--webhook", hook(IP_OK), "--text", "from loopback"]);
    expect(r.code).toBe(0);
  });

  it("fails with 310000 and the whitelist hint from an IP outside it", async () => {
    const r = await send(["--webhook", hook(IP_BAD), "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("errcode 310000");
    expect(r.stderr).toMatch(/hint: .*whitelist/);
  });
});

describe("dingbot send: errcode paths", { timeout: 90_000 }, () => {
  it("names 300005 for an unknown token, with how to fix it", async () => {
    const r = await send(["--webhook", hook(UNKNOWN), "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("errcode 300005");
    expect(r.stderr).toMatch(/hint: Copy the webhook URL again/);
  });

  it("fails fast on a rate-limit answer and says to slow down", async () => {
    const limited = createEmulator({ rateLimit: 1 });
    const limitedBase = await limited.listen(0);
    limited.store.createRobot({ accessToken: PLAIN });
    try {
      const url = `${limitedBase}/robot/send?access_token=${PLAIN}`;
      expect((await send(["--webhook", url, "--text", "1"])).code).toBe(0);
      const r = await send(["--webhook", url, "--text", "2", "--output", "json"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("errcode 410100");
      expect(r.stderr).toMatch(/at most 20 messages per minute/);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, errcode: 410100, kind: "rate-limit" });
    } finally {
      await limited.close();
    }
  });

  it("retries errcode -1 (系统繁忙) and succeeds", async () => {
    await fault({ kind: "errcode", errcode: -1, count: 1 });
    const r = await send(["--webhook", hook(FAULTY), "--text", "busy once"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("after 2 attempts");
    expect(lastBody(FAULTY)).toEqual({ msgtype: "text", text: { content: "busy once" } });
  });

  it("gives up on errcode -1 after its retries", async () => {
    await fault({ kind: "errcode", errcode: -1, count: 3 });
    const r = await send(["--webhook", hook(FAULTY), "--text", "always busy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("errcode -1");
    expect(r.stderr).toMatch(/hint: Retry/);
  });

  it.each([
    [400102, /robot is disabled/],
    [430104, /inappropriate content/],
    [400013, /disbanded/],
  ])("explains errcode %i", async (errcode, meaning) => {
    await fault({ kind: "errcode", errcode, count: 1 });
    const r = await send(["--webhook", hook(FAULTY), "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`errcode ${errcode}`);
    expect(r.stderr).toMatch(meaning);
    expect(r.stderr).toContain("hint:");
  });

  it("reports an HTTP 5xx without a DingTalk body", async () => {
    await fault({ kind: "http5xx", status: 503, count: 1 });
    const r = await send(["--webhook", hook(FAULTY), "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HTTP 503");
    expect(r.stderr).toContain("hint:");
  });

  it("reports a connection that is refused", async () => {
    const closed = createEmulator();
    const closedBase = await closed.listen(0);
    await closed.close();
    const r = await send(["--webhook", `${closedBase}/robot/send?access_token=${PLAIN}`, "--text", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
    expect(r.stderr).toMatch(/hint: check the network/);
  });
});

describe("dingbot send: bad usage exits 2 and sends nothing", { timeout: 90_000 }, () => {
  const cases: Array<[string, string[], RegExp, string?]> = [
    ["no message", [], /nothing to send/],
    [
      "two message types",
      ["--markdown", "b", "--title", "t", "--feed-item", "a|https://e.com"],
      /choose one message type; got --markdown and --feed-item/,
    ],
    [
      "--text next to --markdown",
      ["--text", "a", "--markdown", "b", "--title", "t"],
      /--text does not apply to --markdown/,
    ],
    ["markdown without title", ["--markdown", "b"], /--markdown needs --title/],
    ["link without text", ["--link", "https://e.com", "--title", "t"], /--link needs --text/],
    ["link that is not a URL", ["--link", "not a url", "--title", "t", "--text", "x"], /--link is not a URL/],
    ["action card without buttons", ["--action-card", "x", "--title", "t"], /needs --button/],
    ["button without =", ["--action-card", "x", "--title", "t", "--button", "nourl"], /is not "Title=URL"/],
    [
      "buttons and single URL",
      ["--action-card", "x", "--title", "t", "--button", "a=https://e.com", "--single-url", "https://e.com"],
      /exclude each other/,
    ],
    ["bad feed item", ["--feed-item", "only-a-title"], /is not "Title\|URL\|picURL"/],
    [
      "mentions on a link",
      ["--link", "https://e.com", "--title", "t", "--text", "x", "--at-mobile", "138"],
      /--at-mobile does not apply/,
    ],
    ["invalid JSON", ["--json", "-"], /not valid JSON/, "{nope"],
    ["JSON that is not a message", ["--json", "-"], /msgtype/, '{"msgtype":"image","image":{}}'],
    ["missing @file", ["--text", "@/nonexistent/missing.txt"], /cannot read .*missing\.txt.*no such file/],
    ["empty text", ["--text", ""], /text\.content/],
    ["unknown flag", ["--txet", "x"], /unknown option/],
    ["bad --output", ["--text", "x", "--output", "xml"], /Allowed choices are text, json/],
    ["body over 20000 bytes", ["--text", "告".repeat(7000)], /20000/],
  ];

  it.each(cases)("%s", async (_name, args, message, stdin) => {
    const before = emulator.store.messages.length + emulator.store.rejections.length;
    const r = await send(["--webhook", hook(PLAIN), ...args], stdin === undefined ? {} : { stdin });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(emulator.store.messages.length + emulator.store.rejections.length).toBe(before);
  });

  it("no webhook", async () => {
    const r = await send(["--text", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no webhook: pass --webhook URL or set DINGTALK_WEBHOOK/);
  });

  it("a webhook without access_token, or not a URL", async () => {
    const missing = await send(["--webhook", `${base}/robot/send`, "--text", "x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no access_token/);
    const notUrl = await send(["--webhook", "oapi.dingtalk.com/robot/send", "--text", "x"]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toMatch(/not a URL/);
  });

  it("a base URL that is not http(s)", async () => {
    const r = await send(["--webhook", hook(PLAIN), "--base-url", "ftp://example.com", "--text", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must be http\(s\)/);
  });
});

describe("dingbot send: secrets", { timeout: 90_000 }, () => {
  it("never printed a token or the secret in any run of this file, --verbose included", async () => {
    const r = await send(["--webhook", hook(SIGNED), "--secret", SECRET, "--text", "verbose", "--verbose"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("access_token=***");
    const everything = ALL_OUTPUT.join("\n");
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of [...TOKENS, SECRET]) expect(everything).not.toContain(secret);
  });
});
