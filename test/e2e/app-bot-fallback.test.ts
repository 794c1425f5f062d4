/**
 * A bot answering after the message's sessionWebhook expired: the reply goes through the robot OpenAPI
 * (openApiReplier as the Bot's apiFallback), 1:1 by batchSend or to the group by groupMessages/send, and
 * arrives in the emulator's conversation.
 */
import { AppClient, Bot, type Context, httpServerTransport, openApiReplier } from "dingbot-sdk";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const APP_KEY = "dingfallback01";
const APP_SECRET = "fallback-secret-abcdef0123456789abcdef0123456789";
const SESSION_TTL_MS = 80;

let emulator: Emulator;
let base: string;
let bot: Bot;
let seen: Context[];

const control = async (path: string, body: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
};

beforeEach(async () => {
  emulator = createEmulator({ sessionTtlMs: SESSION_TTL_MS, callbackTimeoutMs: 3000 });
  base = await emulator.listen(0);
  const transport = httpServerTransport({ appSecret: APP_SECRET, port: 0 });
  const client = new AppClient({ appKey: APP_KEY, appSecret: APP_SECRET, baseUrl: base });
  bot = new Bot({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    baseUrl: base,
    apiFallback: openApiReplier(client),
  });
  seen = [];
  bot.use(async (ctx) => {
    seen.push(ctx);
  });
  await bot.start(transport);
  emulator.store.createApp({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    name: "回复机器人",
    callbackUrl: `${transport.url}/`,
  });
  emulator.store.createUser({ userId: "manager01", name: "张三", mobile: "13800000001" });
});

afterEach(async () => {
  await bot.stop();
  await emulator.close();
});

async function lateReply(conversationId: string, text: string): Promise<void> {
  const said = await control(`/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`, {
    from: "manager01",
    text: "hello",
    atRobot: APP_KEY,
  });
  expect(said).toMatchObject({ delivered: true });
  expect(seen).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, SESSION_TTL_MS * 2));
  const result = await seen[0]!.replyText(text);
  expect(result).toEqual({ via: "api" });
}

describe("Bot reply fallback through the robot OpenAPI", () => {
  it("replies 1:1 through oToMessages/batchSend once the sessionWebhook has expired", async () => {
    const single = emulator.store.createConversation({
      type: "single",
      members: ["manager01"],
      robots: [APP_KEY],
    });
    await lateReply(single.conversationId, "迟到的回复");
    const replies = emulator.store
      .listMessages({ conversationId: single.conversationId })
      .filter((m) => m.via === "openapi");
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toMatchObject({
      msgtype: "text",
      text: { content: "迟到的回复" },
      msgKey: "sampleText",
    });
  });

  it("replies to the group through groupMessages/send once the sessionWebhook has expired", async () => {
    const group = emulator.store.createConversation({
      type: "group",
      title: "测试群",
      members: ["manager01"],
      robots: [APP_KEY],
    });
    await lateReply(group.conversationId, "群里迟到的回复");
    const replies = emulator.store
      .listMessages({ conversationId: group.conversationId })
      .filter((m) => m.via === "openapi");
    expect(replies.map((m) => m.body.text)).toEqual([{ content: "群里迟到的回复" }]);
  });
});
