/**
 * Seed 001's answering robot (examples/answer-bot.ts) driven through the emulator: a person writes in a
 * group (or 1:1), the emulator delivers a signed HTTP callback, the bot answers, and the answer is recorded.
 */

import { Bot, httpTransport, type RunningHttpServer } from "dingbot-sdk/bot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import answerBot from "../../examples/answer-bot.js";
import { createEmulator, type Emulator } from "../../packages/dingbot-tools/src/emulator/index.js";

const APP_SECRET = "teTLGS3xZVLp6Z99mXvgVpINOUyJqFsKJ3jLb7crFdjRsJ3_77E-kxhlIbBGbNjX";

interface World {
  emulator: Emulator;
  baseUrl: string;
  servers: RunningHttpServer[];
}

const world = {} as World;

async function control<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${world.baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

interface ChatAnswer {
  msgId: string;
  delivered: boolean;
  reply: Record<string, unknown> | null;
  error?: string;
}
interface RecordedMessage {
  conversationId: string;
  via: string;
  body: Record<string, unknown>;
  replyTo?: string;
}

/** Serves a bot on port 0 and registers it with the emulator as an HTTP-mode app; returns its robotCode. */
async function registerBot(bot: Bot, appKey: string, timeoutMs?: number): Promise<string> {
  const server = await httpTransport(bot, {
    appSecret: APP_SECRET,
    path: "/dd_robot/",
    ...(timeoutMs ? { timeoutMs } : {}),
  }).listen(0);
  world.servers.push(server);
  const app = await control<{ robotCode: string }>("POST", "/_emulator/apps", {
    appKey,
    appSecret: APP_SECRET,
    name: "答题机器人",
    callbackUrl: `${server.url}/dd_robot/`,
    mode: "http",
  });
  expect(app.status).toBe(201);
  return app.json.robotCode;
}

async function conversation(type: "group" | "single", members: string[], robots: string[]): Promise<string> {
  const created = await control<{ conversationId: string }>("POST", "/_emulator/conversations", {
    type,
    title: "機器人測試-TEST",
    members,
    robots,
  });
  expect(created.status).toBe(201);
  return created.json.conversationId;
}

async function say(conversationId: string, text: string, atRobot?: string): Promise<ChatAnswer> {
  const answer = await control<ChatAnswer>(
    "POST",
    `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
    { from: "user123", text, ...(atRobot ? { atRobot } : {}) },
  );
  expect(answer.status).toBe(200);
  return answer.json;
}

async function repliesTo(msgId: string): Promise<RecordedMessage[]> {
  const { json } = await control<RecordedMessage[]>("GET", "/_emulator/messages");
  return json.filter((m) => m.replyTo === msgId);
}

let robotCode: string;
let group: string;

beforeAll(async () => {
  world.emulator = createEmulator();
  world.baseUrl = await world.emulator.listen(0);
  world.servers = [];
  await control("POST", "/_emulator/users", { userId: "user123", name: "楊xx", mobile: "13800000001" });
  robotCode = await registerBot(answerBot, "dingAnswerBot");
  group = await conversation("group", ["user123"], [robotCode]);
});

afterAll(async () => {
  for (const server of world.servers) await server.close();
  await world.emulator.close();
});

describe("examples/answer-bot.ts through the emulator", () => {
  it('answers "markdown" in a group with the markdown reply, visible in GET /_emulator/messages', async () => {
    const answer = await say(group, "markdown", robotCode);
    expect(answer.delivered).toBe(true);
    const replies = await repliesTo(answer.msgId);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      conversationId: group,
      via: "inline-reply",
      body: {
        msgtype: "markdown",
        markdown: { title: "州的先生機器人助理", text: expect.stringContaining("## 這是什么?") },
        at: { atUserIds: ["user123"], isAtAll: false },
      },
    });
  });

  it('answers "text" with a text reply quoting the message and @-ing the sender', async () => {
    const answer = await say(group, "text", robotCode);
    expect(answer.reply).toEqual({
      msgtype: "text",
      text: { content: "你剛剛發的消息是:[text]\n@user123" },
      at: { atUserIds: ["user123"], isAtAll: false },
    });
    expect((await repliesTo(answer.msgId)).map((m) => m.via)).toEqual(["inline-reply"]);
  });

  it.each(["整體跳轉", "整体跳转"])('answers "%s" with a whole-card action card', async (text) => {
    const answer = await say(group, text, robotCode);
    expect(answer.reply).toMatchObject({
      msgtype: "actionCard",
      actionCard: {
        title: "州的先生 Python 實戰教程合集",
        singleTitle: "閱讀全文",
        singleURL: "http://mrdoc.zmister.com",
      },
    });
    expect(await repliesTo(answer.msgId)).toHaveLength(1);
  });

  it.each(["獨立跳轉", "独立跳转"])('answers "%s" with a two-button action card', async (text) => {
    const answer = await say(group, text, robotCode);
    expect(answer.reply).toMatchObject({
      msgtype: "actionCard",
      actionCard: {
        btnOrientation: "0",
        btns: [
          { title: "去看看", actionURL: "http://mrdoc.zmister.com" },
          { title: "不感興趣", actionURL: "https://zmister.com/" },
        ],
      },
    });
    expect(await repliesTo(answer.msgId)).toHaveLength(1);
  });

  it('answers "feed" with a two-item feed card', async () => {
    const answer = await say(group, "feed", robotCode);
    const links = (answer.reply as { feedCard: { links: Array<{ title: string }> } }).feedCard.links;
    expect(links.map((l) => l.title)).toEqual(["時代的火車向前開1", "時代的火車向前開2"]);
    expect(await repliesTo(answer.msgId)).toHaveLength(1);
  });

  it('answers anything else with {"msgtype":"empty"}: delivered, nothing posted', async () => {
    const answer = await say(group, "hello there", robotCode);
    expect(answer.delivered).toBe(true);
    expect(answer.reply).toBeNull();
    expect(await repliesTo(answer.msgId)).toEqual([]);
  });

  it("receives nothing in a group when the robot is not @-ed", async () => {
    const answer = await say(group, "markdown");
    expect(answer.delivered).toBe(false);
    expect(await repliesTo(answer.msgId)).toEqual([]);
  });

  it("answers in a 1:1 chat without an @-mention", async () => {
    const single = await conversation("single", ["user123"], [robotCode]);
    const answer = await say(single, "feed");
    expect(answer.delivered).toBe(true);
    expect((answer.reply as { msgtype: string }).msgtype).toBe("feedCard");
  });
});

describe("a bot slower than the inline window, through the emulator", () => {
  it("answers empty in time and posts its reply through the emulator's sessionWebhook", async () => {
    const slow = new Bot();
    let replied!: (via: unknown) => void;
    const done = new Promise<unknown>((resolve) => {
      replied = resolve;
    });
    slow.use(async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      replied((await ctx.replyText(`慢慢来: ${ctx.text}`)).via);
      await ctx.replyMarkdown("second", "a second reply");
    });
    const code = await registerBot(slow, "dingSlowBot", 50);
    const conv = await conversation("group", ["user123"], [code]);
    const answer = await say(conv, "hi", code);
    expect(answer).toMatchObject({ delivered: true, reply: null });
    expect(await done).toBe("session-webhook");
    await expect
      .poll(async () => (await repliesTo(answer.msgId)).map((m) => [m.via, m.body.msgtype]))
      .toEqual([
        ["session-webhook", "text"],
        ["session-webhook", "markdown"],
      ]);
  });
});

describe("a reply after the sessionWebhook expired, through the emulator", () => {
  it("goes through the robot OpenAPI when apiFallback is set, and says so clearly when it is not", async () => {
    const shortLived = createEmulator({ sessionTtlMs: 1 });
    const base = await shortLived.listen(0);
    const post = async <T>(path: string, body: unknown): Promise<T> =>
      (await (
        await fetch(`${base}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        })
      ).json()) as T;
    const { AppClient, openApiReplier } = await import("dingbot-sdk");
    const withFallback = new Bot({
      apiFallback: openApiReplier(
        new AppClient({ appKey: "dingLate", appSecret: APP_SECRET, baseUrl: base }),
      ),
    });
    const without = new Bot();
    const errors: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    let pending = 2;
    for (const bot of [withFallback, without]) {
      bot.use(async (ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        try {
          await ctx.replyText("回复晚了");
        } catch (error) {
          errors.push((error as Error).message);
        } finally {
          pending -= 1;
          if (pending === 0) done();
        }
      });
    }
    const servers = [
      await httpTransport(withFallback, { appSecret: APP_SECRET, timeoutMs: 20 }).listen(0),
      await httpTransport(without, { appSecret: APP_SECRET, timeoutMs: 20 }).listen(0),
    ];
    try {
      await post("/_emulator/users", { userId: "user123" });
      const apps = [
        await post<{ robotCode: string }>("/_emulator/apps", {
          appKey: "dingLate",
          appSecret: APP_SECRET,
          callbackUrl: `${servers[0]?.url}/`,
        }),
        await post<{ robotCode: string }>("/_emulator/apps", {
          appKey: "dingLateNoApi",
          appSecret: APP_SECRET,
          callbackUrl: `${servers[1]?.url}/`,
        }),
      ];
      const conv = await post<{ conversationId: string }>("/_emulator/conversations", {
        type: "group",
        members: ["user123"],
        robots: apps.map((a) => a.robotCode),
      });
      const path = `/_emulator/conversations/${encodeURIComponent(conv.conversationId)}/messages`;
      await post(path, { from: "user123", text: "late", atRobot: apps[0]?.robotCode });
      await post(path, { from: "user123", text: "late", atRobot: apps[1]?.robotCode });
      await finished;
      expect(errors).toEqual([
        "the sessionWebhook expired; pass apiFallback (see docs) to reply through the robot OpenAPI",
      ]);
      const messages = (await (await fetch(`${base}/_emulator/messages`)).json()) as RecordedMessage[];
      const late = messages.filter((m) => m.via !== "user");
      expect(late.map((m) => m.via)).toEqual(["openapi"]);
    } finally {
      for (const server of servers) await server.close();
      await shortLived.close();
    }
  });
});
