/**
 * The page's composer, end to end: a person types in the browser, the emulator delivers the message to the
 * example answer bot (examples/answer-bot.ts over the HTTP callback), and the bot's reply appears on the page.
 */
import { randomBytes } from "node:crypto";
import { Bot, httpServerTransport, streamTransport } from "dingbot-sdk/bot";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import answerBot from "../../examples/answer-bot.js";
import { chromiumAvailable, launchChromium, openPage } from "./page-fixtures.js";

const RUN = chromiumAvailable();

describe.skipIf(!RUN)("Chat page composer", () => {
  let emulator: Emulator;
  let baseUrl: string;
  let browser: Browser;
  let groupId: string;

  beforeAll(async () => {
    emulator = createEmulator();
    baseUrl = await emulator.listen(0);
    const appSecret = randomBytes(24).toString("base64url");
    const transport = httpServerTransport({ appSecret, port: 0 });
    await answerBot.start(transport);
    const { store } = emulator;
    store.createUser({ userId: "zhangsan", name: "张三", mobile: "13800000001" });
    store.createUser({ userId: "lisi", name: "李四", mobile: "13800000002" });
    const app = store.createApp({ name: "问答机器人", appSecret, callbackUrl: transport.url, mode: "http" });
    groupId = store.createConversation({
      type: "group",
      title: "研发群",
      members: ["zhangsan", "lisi"],
      robots: [app.robotCode],
    }).conversationId;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await answerBot.stop();
    await emulator?.close();
  });

  it("sends a person's message to the answer bot with the keyboard and shows its markdown reply", async () => {
    const { page, errors } = await openPage(browser, baseUrl);
    await page.goto(`${baseUrl}/#c=${encodeURIComponent(groupId)}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.selectOption("#composer-from", "lisi");
    // Keyboard only from here: Tab from the robot picker over the picture and file buttons into the text
    // box, with a visible focus ring.
    await page.focus("#composer-robot");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-picture");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-attach");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-text");
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe("solid");
    await page.keyboard.type("markdown");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#composer-status")).toContain("已送达");
    const person = page.locator("#messages li.message.from-user");
    await expect.poll(() => person.count()).toBe(1);
    expect(await person.locator(".mention").textContent()).toBe("@问答机器人");
    expect(await person.getAttribute("class")).toContain("mine");
    expect(await person.locator(".delivery.ok").textContent()).toContain("已送达");
    const reply = page.locator("#messages li.message.from-bot");
    await expect.poll(() => reply.count()).toBe(1);
    expect(await reply.locator(".sender-name").textContent()).toBe("问答机器人");
    expect(await reply.locator(".markdown h2").textContent()).toContain("這是什么?");
    // Enter sent it and cleared the box; the focus stays in the composer for the next message.
    expect(await page.inputValue("#composer-text")).toBe("");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-text");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("says so on the page when the emulator refuses the message", async () => {
    const { page, errors } = await openPage(browser, baseUrl);
    await page.goto(`${baseUrl}/#c=${encodeURIComponent(groupId)}`);
    await page.waitForSelector("body[data-ready=true]");
    // A person who is not in the store any more: the control API answers 4xx and the page shows why.
    emulator.store.users.delete("zhangsan");
    await page.selectOption("#composer-from", "zhangsan");
    await page.fill("#composer-text", "text");
    await page.click("#composer-send");
    await expect.poll(() => page.getAttribute("#composer-status", "data-kind")).toBe("error");
    expect(await page.textContent("#composer-status")).toMatch(/发送失败 \(4\d\d\)/);
    expect(await page.inputValue("#composer-text")).toBe("text");
    expect(errors.filter((e) => !e.includes("status of 4"))).toEqual([]);
    await page.context().close();
  });

  it("shows on the message when the bot did not get it (bot down)", async () => {
    const { store } = emulator;
    // An app whose callback URL answers nothing: a port that was free a moment ago.
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const app = store.createApp({
      name: "掉线机器人",
      callbackUrl: `http://127.0.0.1:${deadPort}/`,
      mode: "http",
    });
    const conversation = store.createConversation({
      type: "group",
      title: "掉线测试群",
      members: ["lisi"],
      robots: [app.robotCode],
    });
    const { page, errors } = await openPage(browser, baseUrl);
    await page.goto(`${baseUrl}/#c=${encodeURIComponent(conversation.conversationId)}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#composer-text", "在吗");
    await page.keyboard.press("Enter");
    const failed = page.locator("#messages li.message.from-user .delivery.failed");
    await expect.poll(() => failed.count(), { timeout: 20_000 }).toBe(1);
    expect(await failed.textContent()).toContain("机器人未收到");
    expect(await page.getAttribute("#composer-status", "data-kind")).toBe("error");
    // …and the emulator's rejection panel says which bot and why.
    await expect
      .poll(() => page.locator('#rejection-list li.rejection[data-reason="delivery"]').count())
      .toBeGreaterThan(0);
    expect(
      await page.locator('#rejection-list li.rejection[data-reason="delivery"]').first().textContent(),
    ).toContain("掉线机器人");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("says a message to an offline Stream bot is queued, and marks it delivered once the bot connects", async () => {
    const { store } = emulator;
    const app = store.createApp({ name: "离线流机器人", mode: "stream" });
    const conversation = store.createConversation({
      type: "group",
      title: "离线测试群",
      members: ["lisi"],
      robots: [app.robotCode],
    });
    const { page, errors } = await openPage(browser, baseUrl);
    await page.goto(`${baseUrl}/#c=${encodeURIComponent(conversation.conversationId)}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#composer-text", "有人吗");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getAttribute("#composer-status", "data-kind")).toBe("queued");
    expect(await page.textContent("#composer-status")).toContain("机器人离线");
    await expect.poll(() => page.locator("#messages li.message .delivery.queued").count()).toBe(1);
    // The bot comes online and acks the queued message without answering: only the emulator's
    // message-updated event can tell the page, which redraws the message in place.
    const bot = new Bot();
    await bot.start(streamTransport({ clientId: app.appKey, clientSecret: app.appSecret, baseUrl }));
    try {
      await expect.poll(() => page.locator("#messages li.message .delivery.ok").count()).toBe(1);
      expect(await page.locator("#messages li.message .delivery.queued").count()).toBe(0);
    } finally {
      await bot.stop();
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
