/**
 * The emulator delivering a person's message to a bot over a real HTTP callback: a tiny node:http bot
 * checks the signature itself (written here with node:crypto, independent of dingbot), answers as told,
 * and the emulator records the inline reply, retries 5xx with the same msgId, and serves sessionWebhooks
 * until they expire (injected clock).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const APP_SECRET = "emulator-app-secret-xyz";

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  signatureOk: boolean;
}
type Answer = { status: number; body?: string; delayMs?: number };

/** A bot that verifies DingTalk's callback signature and answers from a script. */
async function startBot(secret: string) {
  const received: Received[] = [];
  let script: (r: Received, n: number) => Answer = () => ({ status: 200, body: '{"msgtype":"empty"}' });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const ts = String(req.headers.timestamp ?? "");
      const given = Buffer.from(String(req.headers.sign ?? ""), "base64");
      const expected = createHmac("sha256", secret).update(`${ts}\n${secret}`).digest();
      const fresh = Math.abs(Date.now() - Number(ts)) <= 3_600_000;
      const signatureOk = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      const r: Received = {
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
        signatureOk,
      };
      received.push(r);
      const answer: Answer = signatureOk ? script(r, received.length) : { status: 401, body: "bad sign" };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.body ?? "");
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return {
    url,
    received,
    answer(fn: (r: Received, n: number) => Answer) {
      script = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("emulator → bot delivery over HTTP callbacks", () => {
  let emulator: Emulator;
  let base: string;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let offset = 0;
  let groupId: string;
  let singleId: string;

  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const say = (cid: string, body: unknown) =>
    control(`/_emulator/conversations/${encodeURIComponent(cid)}/messages`, body);

  beforeEach(async () => {
    offset = 0;
    emulator = createEmulator({
      now: () => Date.now() + offset,
      callbackTimeoutMs: 400,
      callbackRetryDelayMs: 20,
      sessionTtlMs: 60_000,
    });
    base = await emulator.listen(0);
    bot = await startBot(APP_SECRET);
    await control("/_emulator/apps", {
      appKey: "dingbot1",
      appSecret: APP_SECRET,
      name: "答题机器人",
      callbackUrl: bot.url,
    });
    await control("/_emulator/users", { userId: "manager01", name: "张三", mobile: "13800000001" });
    groupId = String(
      (
        await control("/_emulator/conversations", {
          type: "group",
          title: "测试群",
          members: ["manager01"],
          robots: ["dingbot1"],
        })
      ).json.conversationId,
    );
    singleId = String(
      (
        await control("/_emulator/conversations", {
          type: "single",
          members: ["manager01"],
          robots: ["dingbot1"],
        })
      ).json.conversationId,
    );
  });
  afterEach(async () => {
    await emulator.close();
    await bot.close();
  });

  it("sends DingTalk's signed group callback and records the bot's inline markdown reply", async () => {
    const reply = { msgtype: "markdown", markdown: { title: "回复", text: "### 你好" } };
    bot.answer(() => ({ status: 200, body: JSON.stringify(reply) }));
    const { status, json } = await say(groupId, { from: "manager01", text: "markdown", atRobot: "dingbot1" });
    expect(status).toBe(200);
    expect(json).toMatchObject({ delivered: true, reply, attempts: 1 });
    expect(bot.received).toHaveLength(1);
    const [got] = bot.received;
    expect(got?.signatureOk).toBe(true);
    expect(got?.headers["content-type"]).toBe("application/json; charset=utf-8");
    const app = emulator.store.apps.get("dingbot1")!;
    const user = emulator.store.users.get("manager01")!;
    expect(got?.body).toMatchObject({
      msgtype: "text",
      text: { content: " markdown" },
      msgId: json.msgId,
      conversationType: "2",
      conversationId: groupId,
      conversationTitle: "测试群",
      senderId: user.dingtalkId,
      senderNick: "张三",
      senderStaffId: "manager01",
      senderUnionId: user.unionId,
      senderCorpId: app.corpId,
      chatbotCorpId: app.corpId,
      chatbotUserId: app.chatbotUserId,
      isInAtList: true,
      isAdmin: false,
      atUsers: [{ dingtalkId: app.chatbotUserId }],
      robotCode: "dingbot1",
    });
    const body = got!.body as { createAt: number; sessionWebhook: string; sessionWebhookExpiredTime: number };
    expect(typeof body.createAt).toBe("number");
    expect(body.sessionWebhook).toMatch(new RegExp(`^${base}/robot/sendBySession\\?session=[0-9a-f]{32}$`));
    expect(body.sessionWebhookExpiredTime).toBe(body.createAt + 60_000);
    const log = emulator.store.listMessages({ conversationId: groupId });
    expect(log.map((m) => [m.via, m.sender.kind, m.body])).toEqual([
      ["user", "user", { msgtype: "text", text: { content: "@答题机器人 markdown" } }],
      ["inline-reply", "app", reply],
    ]);
    expect(log[1]?.replyTo).toBe(json.msgId);
  });

  it("delivers every 1:1 message without an @, with no leading space and no title", async () => {
    const reply = { msgtype: "text", text: { content: "收到" } };
    bot.answer(() => ({ status: 200, body: JSON.stringify(reply) }));
    const { json } = await say(singleId, { from: "manager01", text: "hello" });
    expect(json).toMatchObject({ delivered: true, reply });
    const body = bot.received[0]?.body;
    expect(body).toMatchObject({ conversationType: "1", text: { content: "hello" }, isInAtList: false });
    expect(body).not.toHaveProperty("conversationTitle");
  });

  it.each([
    ["{msgtype: empty}", { status: 200, body: '{"msgtype":"empty"}' }],
    ["an empty 200", { status: 200, body: "" }],
    ["a 204", { status: 204 }],
  ])("records no reply for %s", async (_n, answer) => {
    bot.answer(() => answer);
    const { json } = await say(groupId, { from: "manager01", text: "hi", atRobot: "dingbot1" });
    expect(json).toMatchObject({ delivered: true, reply: null });
    expect(emulator.store.listMessages({ conversationId: groupId }).map((m) => m.via)).toEqual(["user"]);
  });

  it("retries a 5xx with the same msgId and records the reply of the attempt that succeeds", async () => {
    const reply = { msgtype: "text", text: { content: "第三次" } };
    bot.answer((_r, n) =>
      n < 3 ? { status: 503, body: "busy" } : { status: 200, body: JSON.stringify(reply) },
    );
    const { json } = await say(groupId, { from: "manager01", text: "hi", atRobot: "dingbot1" });
    expect(json).toMatchObject({ delivered: true, attempts: 3, reply });
    expect(new Set(bot.received.map((r) => r.body.msgId))).toEqual(new Set([json.msgId]));
    expect(bot.received.every((r) => r.signatureOk)).toBe(true);
  });

  it("gives up after 3 attempts of 5xx or timeouts and records the outcome", async () => {
    bot.answer((_r, n) => (n === 2 ? { status: 200, body: "", delayMs: 1000 } : { status: 500 }));
    const { json } = await say(groupId, { from: "manager01", text: "hi", atRobot: "dingbot1" });
    expect(json).toMatchObject({ delivered: false, attempts: 3, reply: null });
    expect(String(json.error)).toMatch(/HTTP 500/);
    expect(bot.received).toHaveLength(3);
    const person = emulator.store.listMessages({ conversationId: groupId })[0];
    expect(person?.meta?.delivery).toMatchObject({ delivered: false, attempts: 3 });
    expect(emulator.store.rejections.at(-1)).toMatchObject({ reason: "delivery", subject: "答题机器人" });
  });

  it("refuses an inline reply nested deeper than 64 levels and keeps its read API working", async () => {
    const deep = `{"msgtype":"text","text":{"content":"x"},"x":${"[".repeat(4500)}${"]".repeat(4500)}}`;
    bot.answer(() => ({ status: 200, body: deep }));
    const { json } = await say(groupId, { from: "manager01", text: "deep", atRobot: "dingbot1" });
    expect(String(json.error)).toMatch(/nested deeper than 64/);
    expect(emulator.store.listMessages({ conversationId: groupId }).map((m) => m.via)).toEqual(["user"]);
    const read = await fetch(`${base}/_emulator/messages`);
    expect(read.status).toBe(200);
  });

  it("does not retry a 4xx (a bot that refuses the signature)", async () => {
    await control("/_emulator/apps", {
      appKey: "wrong",
      appSecret: "not-the-bot-secret",
      callbackUrl: bot.url,
    });
    const cid = String(
      (
        await control("/_emulator/conversations", {
          type: "single",
          members: ["manager01"],
          robots: ["wrong"],
        })
      ).json.conversationId,
    );
    const { json } = await say(cid, { from: "manager01", text: "hi" });
    expect(json).toMatchObject({ delivered: false, attempts: 1 });
    expect(String(json.error)).toMatch(/HTTP 401/);
  });

  it("accepts replies through the sessionWebhook until it expires, then answers 300001", async () => {
    const { json } = await say(groupId, { from: "manager01", text: "hi", atRobot: "dingbot1" });
    const sessionWebhook = String(json.sessionWebhook);
    const post = (body: unknown) =>
      fetch(sessionWebhook, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const later = { msgtype: "text", text: { content: "稍后回复" } };
    expect(await (await post(later)).json()).toEqual({ errcode: 0, errmsg: "ok" });
    const recorded = emulator.store.listMessages({ conversationId: groupId }).at(-1);
    expect(recorded).toMatchObject({
      via: "session-webhook",
      body: later,
      replyTo: json.msgId,
      sender: { kind: "app", id: "dingbot1" },
    });
    expect(await (await post({ msgtype: "bogus" })).json()).toMatchObject({ errcode: 400105 });
    offset = 60_001;
    expect(await (await post(later)).json()).toEqual({ errcode: 300001, errmsg: "session 不存在" });
    expect(
      await (
        await fetch(`${base}/robot/sendBySession?session=deadbeef`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(later),
        })
      ).json(),
    ).toEqual({
      errcode: 300001,
      errmsg: "session 不存在",
    });
    expect(
      emulator.store.listMessages({ conversationId: groupId }).filter((m) => m.via === "session-webhook"),
    ).toHaveLength(1);
  });
});
