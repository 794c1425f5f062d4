/**
 * How to test your own bot offline: start the DingTalk emulator in-process, serve the bot over the HTTP
 * callback on a free port, let a person write to it, and read the reply the emulator recorded.
 *
 *   npx vitest run examples/bot.test.ts
 *
 * Copy this file next to your bot and replace the bot below with your own (`import bot from "./my-bot.js"`).
 */
import { Bot, httpCallbackHandler, type RunningHttpServer } from "dingbot-sdk";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The bot under test: answers "ping" with "pong", and tells the sender what it understood otherwise.
const bot = new Bot();
bot.hears("ping", (ctx) => ctx.replyText("pong", { at: true }));
bot.on("text", (ctx) => ctx.replyMarkdown("收到", `**${ctx.senderNick ?? "?"}** 说：${ctx.text ?? ""}`));

const APP_SECRET = "a-test-secret-only-the-emulator-knows";

let emulator: Emulator;
let server: RunningHttpServer;
let baseUrl: string;
let groupId: string;

/** Calls the emulator's control API and returns the JSON answer. */
async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface RecordedMessage {
  via: string;
  replyTo?: string;
  sender: { kind: string; name: string };
  body: {
    msgtype: string;
    text?: { content: string };
    markdown?: { title: string; text: string };
    at?: { atUserIds?: string[] };
  };
}

/** A person writes `text` in the group, @-ing the bot; returns the bot's recorded replies to it. */
async function say(text: string): Promise<RecordedMessage[]> {
  const sent = await control<{ msgId: string; delivered: boolean }>(
    "POST",
    `/_emulator/conversations/${encodeURIComponent(groupId)}/messages`,
    { from: "zhangsan", text, atRobot: "my-bot" },
  );
  expect(sent.delivered).toBe(true);
  const all = await control<RecordedMessage[]>(
    "GET",
    `/_emulator/messages?conversationId=${encodeURIComponent(groupId)}`,
  );
  return all.filter((message) => message.replyTo === sent.msgId);
}

beforeAll(async () => {
  emulator = createEmulator();
  baseUrl = await emulator.listen(0); // a free port on 127.0.0.1
  // The bot verifies the emulator's signed callbacks with the app's secret, exactly as with DingTalk.
  server = await httpCallbackHandler(bot, { appSecret: APP_SECRET }).listen(0);
  await control("POST", "/_emulator/apps", {
    appKey: "my-bot",
    appSecret: APP_SECRET,
    name: "测试机器人",
    callbackUrl: server.url,
    mode: "http",
  });
  await control("POST", "/_emulator/users", { userId: "zhangsan", name: "张三", mobile: "13800000001" });
  const group = await control<{ conversationId: string }>("POST", "/_emulator/conversations", {
    type: "group",
    title: "测试群",
    members: ["zhangsan"],
    robots: ["my-bot"],
  });
  groupId = group.conversationId;
});

afterAll(async () => {
  await server?.close();
  await emulator?.close();
});

describe("my bot", () => {
  it("answers ping with pong and @-mentions the sender", async () => {
    const replies = await say("ping");
    expect(replies).toHaveLength(1);
    expect(replies[0]?.via).toBe("inline-reply");
    expect(replies[0]?.body.text?.content).toContain("pong");
    expect(replies[0]?.body.at?.atUserIds).toEqual(["zhangsan"]);
  });

  it("quotes any other text back in markdown", async () => {
    const replies = await say("你好");
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body.msgtype).toBe("markdown");
    expect(replies[0]?.body.markdown?.text).toBe("**张三** 说：你好");
  });
});
