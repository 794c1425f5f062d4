/**
 * The routes behind the chat page, without a browser: the snapshot never carries a secret, the event
 * stream forwards the store's events as they happen, and the assets are served from a fixed list.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Bot, streamTransport } from "dingbot-sdk/bot";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** The page's files in the source tree. */
const WEB_DIR = fileURLToPath(new URL("../../packages/dingbot-tools/src/emulator/web/", import.meta.url));

describe("Chat page routes", () => {
  let emulator: Emulator;
  let baseUrl: string;

  beforeEach(async () => {
    emulator = createEmulator();
    baseUrl = await emulator.listen(0);
  });

  afterEach(async () => {
    await emulator.close();
  });

  it("GET /_emulator/snapshot lists everything but never a secret or token", async () => {
    const { store } = emulator;
    store.createUser({ userId: "zhangsan", name: "张三" });
    const app = store.createApp({ name: "问答机器人", appSecret: "APP-SECRET-VALUE-123" });
    const robot = store.createRobot({
      name: "告警机器人",
      secret: "SEC-ROBOT-SECRET-456",
      accessToken: "TOKEN789",
    });
    store.recordMessage({
      conversationId: robot.conversationId,
      sender: { kind: "robot", id: "r", name: robot.name },
      via: "webhook",
      body: { msgtype: "text", text: { content: "hi" } },
      accessToken: robot.accessToken,
    });
    const response = await fetch(`${baseUrl}/_emulator/snapshot`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toMatch(/APP-SECRET-VALUE-123|SEC-ROBOT-SECRET-456|TOKEN789/);
    const snap = JSON.parse(text);
    expect(snap.users.map((u: { name: string }) => u.name)).toEqual(["张三"]);
    expect(snap.apps[0]).toMatchObject({ name: "问答机器人", robotCode: app.robotCode });
    expect(snap.robots[0]).toMatchObject({ name: "告警机器人", signed: true });
    expect(snap.messages).toHaveLength(1);
    expect(snap.conversations).toHaveLength(1);
  });

  it("GET /_emulator/events streams message, rejection, conversation and reset events as they happen", async () => {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/_emulator/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    const readUntil = async (needle: string): Promise<void> => {
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        received += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(": connected");
    expect(received).toContain("retry: 1000");
    const { store } = emulator;
    const conversation = store.createConversation({ title: "运维群" });
    store.recordMessage({
      conversationId: conversation.conversationId,
      sender: { kind: "robot", id: "r", name: "告警机器人" },
      via: "webhook",
      body: { msgtype: "text", text: { content: "磁盘告警" } },
      accessToken: "SECRET-TOKEN-IN-RECORD",
    });
    store.recordRejection({
      endpoint: "POST /robot/send",
      errcode: 310000,
      errmsg: "sign not match",
      reason: "sign",
    });
    store.reset();
    await readUntil("event: reset");
    expect(received).toContain("event: conversation\ndata: ");
    expect(received).toContain('"title":"运维群"');
    expect(received).toContain("event: message\ndata: ");
    expect(received).toContain("磁盘告警");
    expect(received).toContain("event: rejection\ndata: ");
    expect(received).toContain('"reason":"sign"');
    expect(received).not.toContain("SECRET-TOKEN-IN-RECORD");
    // Closing the stream removes the listeners (no leak per page load).
    controller.abort();
    await expect.poll(() => store.events.listenerCount("message")).toBe(0);
  });

  it("sends message-updated when a message queued for an offline Stream bot is delivered once it connects", async () => {
    const { store } = emulator;
    store.createUser({ userId: "zhangsan", name: "张三" });
    const app = store.createApp({ name: "回声机器人", mode: "stream" });
    // A 1:1 chat without a title is named after the robot, as the person sees it (not the groups' "测试群").
    const chat = store.createConversation({ type: "single", members: ["zhangsan"], robots: [app.robotCode] });
    expect(chat.title).toBe("回声机器人");
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/_emulator/events`, { signal: controller.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    /** Reads until a `message-updated` frame matching `test` arrives; returns its record. */
    const nextUpdate = async (test: (m: { meta?: { delivery?: Record<string, unknown> } }) => boolean) => {
      for (;;) {
        const frames = received.split("\n\n");
        received = frames.pop() ?? "";
        for (const frame of frames) {
          const match = /^event: message-updated\ndata: (.*)$/m.exec(frame);
          if (match && test(JSON.parse(match[1]!))) return JSON.parse(match[1]!);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        received += decoder.decode(value, { stream: true });
      }
    };
    const posted = await fetch(
      `${baseUrl}/_emulator/conversations/${encodeURIComponent(chat.conversationId)}/messages`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from: "zhangsan", text: "你好" }),
      },
    );
    const answer = await posted.json();
    expect(answer).toMatchObject({ delivered: false, queued: true });
    const queued = await nextUpdate((m) => m.meta?.delivery?.queued === true);
    expect(queued.meta.msgId).toBe(answer.msgId);
    // The bot comes online: the emulator pushes the queued message, the bot acks it, and the page is told.
    const bot = new Bot();
    const seen: string[] = [];
    bot.on("text", (ctx) => {
      seen.push(ctx.text ?? "");
    });
    await bot.start(streamTransport({ clientId: app.appKey, clientSecret: app.appSecret, baseUrl }));
    try {
      const delivered = await nextUpdate((m) => m.meta?.delivery?.delivered === true);
      expect(delivered.meta.msgId).toBe(answer.msgId);
      expect(delivered.meta.delivery.queued).toBeUndefined();
      expect(seen).toEqual(["你好"]);
      expect(store.listMessages({ conversationId: chat.conversationId })[0]?.meta?.delivery).toMatchObject({
        delivered: true,
      });
    } finally {
      controller.abort();
      await bot.stop();
    }
  });

  it("serves the page and its assets from a fixed list, and 404s anything else", async () => {
    const page = await fetch(`${baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('<html lang="zh-CN">');
    for (const name of ["app.js", "style.css", "markdown-it.min.js"]) {
      const asset = await fetch(`${baseUrl}/_emulator/web/${name}`);
      expect(asset.status, name).toBe(200);
      expect((await asset.text()).length).toBeGreaterThan(500);
    }
    const missing = await fetch(`${baseUrl}/_emulator/web/..%2Fstore.ts`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no such asset" });
  });

  it("serves every script of the page, as it is in web/ (the fixed asset list is complete)", async () => {
    const scripts = readdirSync(WEB_DIR).filter((name) => name.endsWith(".js"));
    expect(scripts).toContain("app.js");
    for (const name of scripts) {
      const asset = await fetch(`${baseUrl}/_emulator/web/${name}`);
      expect(asset.status, name).toBe(200);
      expect(asset.headers.get("content-type"), name).toContain("text/javascript");
      expect(await asset.text(), name).toBe(readFileSync(`${WEB_DIR}${name}`, "utf8"));
    }
  });
});
