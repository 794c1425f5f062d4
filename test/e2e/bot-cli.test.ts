/**
 * `dingbot serve FILE` and `dingbot listen` as real processes, fed by the emulator.
 */
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../../packages/dingbot-tools/src/emulator/index.js";
import { REPO_ROOT, type RunningCli, runCli, startCli } from "../helpers/cli.js";

const APP_SECRET = "cli-e2e-app-secret-ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Starts the CLI from source and waits for its "at http://…" line; `url` is that address. */
async function start(args: string[], env: Record<string, string>): Promise<RunningCli & { url: string }> {
  const running = await startCli(args, env, /at (http:\/\/127\.0\.0\.1:\d+)\S*/);
  return { ...running, url: running.ready[1] as string };
}

let emulator: Emulator;
let baseUrl: string;

async function control<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as T;
}

/** Creates an app pointing at url and a group with user u1 and the robot; returns a "say" function. */
async function wire(appKey: string, callbackUrl: string) {
  const app = await control<{ robotCode: string }>("/_emulator/apps", {
    appKey,
    appSecret: APP_SECRET,
    callbackUrl,
    mode: "http",
  });
  const conv = await control<{ conversationId: string }>("/_emulator/conversations", {
    type: "group",
    members: ["u1"],
    robots: [app.robotCode],
  });
  return (text: string) =>
    control<{ msgId: string; delivered: boolean; reply: Record<string, unknown> | null }>(
      `/_emulator/conversations/${encodeURIComponent(conv.conversationId)}/messages`,
      { from: "u1", text, atRobot: app.robotCode },
    );
}

beforeAll(async () => {
  emulator = createEmulator();
  baseUrl = await emulator.listen(0);
  await control("/_emulator/users", { userId: "u1", name: "张三" });
});
afterAll(async () => {
  await emulator.close();
});

describe("dingbot serve", () => {
  it("answers through the example bot, logs one JSON line per message without secrets, stops on SIGTERM", async () => {
    const serve = await start(["serve", "examples/answer-bot.ts", "--port", "0", "--path", "/dd_robot/"], {
      DINGTALK_APP_SECRET: APP_SECRET,
      DINGTALK_APP_KEY: "dingCliBot",
      DINGTALK_BASE_URL: baseUrl,
    });
    try {
      const say = await wire("dingCliBot", `${serve.url}/dd_robot/`);
      const answer = await say("markdown");
      expect(answer.delivered).toBe(true);
      expect(answer.reply).toMatchObject({ msgtype: "markdown", markdown: { title: "州的先生機器人助理" } });
      await say("nothing to see");
      const bad = await fetch(`${serve.url}/dd_robot/`, {
        method: "POST",
        headers: { timestamp: "1", sign: "x" },
      });
      expect(bad.status).toBe(403);
      await expect
        .poll(
          () =>
            serve
              .stdout()
              .split("\n")
              .filter((l) => l.includes('"callback"')).length,
        )
        .toBe(2);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    const lines = serve.stdout().trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const callbacks = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "callback");
    expect(callbacks.map((l) => l.outcome)).toEqual(["inline", "empty"]);
    expect(serve.stdout()).toContain('"reason":"stale"');
    expect(serve.stderr()).toContain("stopped");
    const everything = serve.stdout() + serve.stderr();
    expect(everything).not.toContain(APP_SECRET);
    expect(everything).not.toMatch(/session=[0-9a-f]/);
  });

  it("loads a plain JavaScript bot module too", async () => {
    mkdirSync(join(REPO_ROOT, ".tmp"), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, ".tmp", "bot-cli-"));
    const file = join(dir, "ping-bot.mjs");
    writeFileSync(
      file,
      'import { Bot } from "dingbot-sdk/bot";\nconst bot = new Bot();\nbot.hears("ping", (ctx) => ctx.replyText("pong"));\nexport default bot;\n',
    );
    const serve = await start(["serve", file, "--port", "0"], { DINGTALK_APP_SECRET: APP_SECRET });
    try {
      const ts = String(Date.now());
      const response = await fetch(`${serve.url}/`, {
        method: "POST",
        headers: {
          timestamp: ts,
          sign: createHmac("sha256", APP_SECRET).update(`${ts}\n${APP_SECRET}`).digest("base64"),
          "content-type": "application/json",
        },
        body: JSON.stringify({
          msgtype: "text",
          text: { content: " ping" },
          msgId: `msgJs${ts}`,
          conversationType: "1",
          conversationId: "cidJs",
          senderId: "$:LWCP_v1:$js",
        }),
      });
      expect(await response.json()).toEqual({ msgtype: "text", text: { content: "pong" } });
    } finally {
      expect(await serve.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes signed card button presses on --card-path with DINGTALK_CARD_API_SECRET, never printing it", async () => {
    const cardSecret = "cli-card-api-secret-0123456789";
    mkdirSync(join(REPO_ROOT, ".tmp"), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, ".tmp", "bot-cli-"));
    const file = join(dir, "card-bot.mjs");
    writeFileSync(
      file,
      'import { Bot } from "dingbot-sdk/bot";\nconst bot = new Bot();\nbot.action("like", (ctx) => ctx.updateCard({ votes: "1" }));\nexport default bot;\n',
    );
    const serve = await start(["serve", file, "--port", "0", "--card-path", "/cards"], {
      DINGTALK_APP_SECRET: APP_SECRET,
      DINGTALK_CARD_API_SECRET: cardSecret,
    });
    try {
      const ts = String(Date.now());
      const press = (signature: string) =>
        fetch(`${serve.url}/cards`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-ddpaas-signature-timestamp": ts,
            "x-ddpaas-signature": signature,
          },
          body: JSON.stringify({
            corpId: "dingcorp",
            userId: "u1",
            outTrackId: "track-cli",
            type: "actionCallback",
            spaceType: "IM_GROUP",
            spaceId: "cidCli==",
            content: JSON.stringify({ cardPrivateData: { actionIds: ["like"], params: {} } }),
          }),
        });
      const good = await press(createHmac("sha256", cardSecret).update(ts).digest("base64"));
      expect(good.status).toBe(200);
      expect(await good.json()).toMatchObject({ cardData: { cardParamMap: { votes: "1" } } });
      expect((await press(createHmac("sha256", "another").update(ts).digest("base64"))).status).toBe(403);
    } finally {
      expect(await serve.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(serve.stdout() + serve.stderr()).not.toContain(cardSecret);
  });

  it("logs a signature mismatch with a hint to check DINGTALK_APP_SECRET, and answers a trickled request 408 after --request-timeout", async () => {
    const serve = await start(
      ["serve", "examples/answer-bot.ts", "--port", "0", "--request-timeout", "300ms"],
      {
        DINGTALK_APP_SECRET: APP_SECRET,
      },
    );
    try {
      const ts = String(Date.now());
      const wrong = await fetch(`${serve.url}/`, {
        method: "POST",
        headers: {
          timestamp: ts,
          sign: createHmac("sha256", "another-secret").update(`${ts}\nanother-secret`).digest("base64"),
        },
        body: "{}",
      });
      expect(wrong.status).toBe(403);
      await expect.poll(() => serve.stdout()).toContain('"reason":"mismatch"');
      const line = serve
        .stdout()
        .split("\n")
        .find((l) => l.includes('"reason":"mismatch"')) as string;
      expect(JSON.parse(line).hint).toContain("DINGTALK_APP_SECRET");

      const { connect } = await import("node:net");
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(serve.url).port), "127.0.0.1");
        let text = "";
        socket.on("data", (data: Buffer) => {
          text += data.toString("latin1");
        });
        socket.on("error", reject);
        socket.on("close", () => resolve(text));
        const sign = createHmac("sha256", APP_SECRET).update(`${ts}\n${APP_SECRET}`).digest("base64");
        // Headers and the start of a body that never comes.
        socket.write(
          `POST / HTTP/1.1\r\nHost: bot\r\nContent-Length: 500\r\ntimestamp: ${ts}\r\nsign: ${sign}\r\n\r\n{`,
        );
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      await expect.poll(() => serve.stdout()).toContain('"status":408');
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it("reads --timeout as a duration with a unit, and names the flag when it is not one (exit 2)", async () => {
    const env = { DINGTALK_APP_SECRET: APP_SECRET };
    const bad = await runCli(["serve", "examples/answer-bot.ts", "--port", "0", "--timeout", "soon"], {
      env,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--timeout must be a duration");
    expect(bad.stderr).toContain("2.5s");
    const help = await runCli(["serve", "--help"]);
    expect(help.stdout).toContain("--timeout <duration>");
    expect(help.stdout).toContain("--request-timeout <duration>");
  });

  it("refuses to start without an app secret (exit 2, with a hint)", async () => {
    const result = await runCli(["serve", "examples/answer-bot.ts", "--port", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("DINGTALK_APP_SECRET");
  });

  it("refuses a file that is missing or has no Bot default export (exit 2)", async () => {
    const env = { DINGTALK_APP_SECRET: APP_SECRET };
    const missing = await runCli(["serve", "examples/nope.ts", "--port", "0"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("not found");
    const notBot = await runCli(["serve", "vitest.config.ts", "--port", "0"], { env });
    expect(notBot.code).toBe(2);
    expect(notBot.stderr).toContain("no default export that is a Bot");
  });
});

describe("dingbot listen", () => {
  it("offers no flag about answering (it answers nothing)", async () => {
    const help = await runCli(["listen", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).not.toContain("--timeout");
    expect(help.stdout).not.toMatch(/answer inline/);
    expect(help.stdout).toContain("--request-timeout");
    const refused = await runCli(["listen", "--timeout", "5s"], { env: { DINGTALK_APP_SECRET: APP_SECRET } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--timeout");
  });

  it("prints each delivered message as one JSON line, with the session masked", async () => {
    const listen = await start(["listen", "--port", "0"], { DINGTALK_APP_SECRET: APP_SECRET });
    try {
      const say = await wire("dingListenBot", `${listen.url}/`);
      const answer = await say("你好");
      expect(answer).toMatchObject({ delivered: true, reply: null });
      await expect.poll(() => listen.stdout().trim().split("\n").filter(Boolean).length).toBe(1);
    } finally {
      expect(await listen.stop()).toBe(0);
    }
    const message = JSON.parse(listen.stdout().trim()) as Record<string, unknown>;
    expect(message).toMatchObject({ msgtype: "text", text: { content: " 你好" }, senderStaffId: "u1" });
    expect(message.sessionWebhook).toMatch(/session=\*\*\*$/);
  });
});
