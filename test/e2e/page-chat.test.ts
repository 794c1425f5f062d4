/**
 * The emulator's chat page in headless Chromium: it loads cleanly, renders every DingTalk message type,
 * follows the store live, shows rejections, lets a person talk to the example answer bot, and works at 360 px.
 */
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumAvailable,
  fillSampleGroup,
  launchChromium,
  openPage,
  type SampleWorld,
} from "./page-fixtures.js";

const RUN = chromiumAvailable();

describe.skipIf(!RUN)("Chat page", () => {
  let emulator: Emulator;
  let baseUrl: string;
  let world: SampleWorld;
  let browser: Browser;

  beforeAll(async () => {
    emulator = createEmulator();
    baseUrl = await emulator.listen(0);
    world = fillSampleGroup(emulator.store);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
  });

  async function open(conversationId: string, viewport?: { width: number; height: number }) {
    const opened = await openPage(browser, baseUrl, viewport);
    await opened.page.goto(`${baseUrl}/#c=${encodeURIComponent(conversationId)}`);
    await opened.page.waitForSelector("body[data-ready=true]");
    await opened.page.waitForSelector("#connection[data-state=live]");
    return opened;
  }

  const messageOf = (page: Page, msgtype: string) =>
    page.locator(`#messages li.message[data-msgtype="${msgtype}"]`);

  it("loads with no console errors, in Chinese, under a strict CSP", async () => {
    const response = await fetch(`${baseUrl}/`);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const { page, errors } = await open(world.groupId);
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    await expect
      .poll(() => page.locator("#conversation-list button.conversation").allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining("运维告警群")]));
    expect(await page.textContent("#chat-title")).toBe("运维告警群");
    expect(await page.locator("main").count()).toBe(1);
    expect(await page.getAttribute("#messages", "aria-live")).toBe("polite");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("renders text, markdown, link, actionCard and feedCard messages as DingTalk does", async () => {
    const { page, errors } = await open(world.groupId);
    // text: the @mobile shows as the member's name, highlighted
    const text = messageOf(page, "text").first();
    expect(await text.locator(".mention").allTextContents()).toContain("@张三");
    expect(await text.locator(".sender-name").textContent()).toBe("告警机器人");
    expect(await text.locator(".badge-bot").count()).toBe(1);

    // markdown: heading, quote, bold, italic, list, link; raw HTML escaped, never executed
    const md = messageOf(page, "markdown").first();
    expect(await md.locator("h3").textContent()).toContain("告警 CPU 过高");
    expect(await md.locator("blockquote strong").textContent()).toBe("状态");
    expect(await md.locator("li em").textContent()).toBe("web-01");
    expect(await md.locator("a").getAttribute("href")).toBe("https://grafana.example.com/d/1");
    expect(await md.locator("script, b").count()).toBe(0);
    expect(await md.textContent()).toContain("<script>alert(1)</script>");
    expect(await md.locator(".mention").allTextContents()).toContain("@李四");

    // link card: the whole card links
    const link = messageOf(page, "link");
    expect(await link.locator(".card-title").textContent()).toBe("v2.1 发布公告");
    expect(await link.locator("a.link-card").getAttribute("href")).toBe("https://example.com/release");

    // actionCards: one whole-card button; two horizontal buttons; vertical buttons with an unsafe URL refused
    const cards = messageOf(page, "actionCard");
    expect(await cards.count()).toBe(3);
    const single = cards.nth(0);
    expect(await single.locator("a.card-button").allTextContents()).toEqual(["查看详情"]);
    expect(await single.locator("a.card-button").getAttribute("href")).toBe("https://example.com/pr/42");
    const horizontal = cards.nth(1);
    expect(await horizontal.locator(".card-buttons.horizontal a.card-button").allTextContents()).toEqual([
      "同意",
      "拒绝",
    ]);
    const vertical = cards.nth(2);
    expect(await vertical.locator(".card-buttons.vertical a.card-button").allTextContents()).toEqual([
      "我来",
    ]);
    expect(await vertical.locator(".unsafe-link").textContent()).toBe("换人");

    // feedCard: every item, with its link
    const feed = messageOf(page, "feedCard");
    expect(await feed.locator(".feed-title").allTextContents()).toEqual([
      "周报：本周告警 12 条",
      "SLO 月度回顾",
    ]);
    expect(await feed.locator("a.feed-link").nth(1).getAttribute("href")).toBe("https://example.com/2");

    // a person's message to the robot shows the @robot, and the bot's reply follows
    const person = page.locator("#messages li.message.from-user").first();
    expect(await person.locator(".mention").textContent()).toBe("@问答机器人");
    expect(await person.locator(".avatar").textContent()).toBe("张三");
    expect(await page.locator("#messages time").count()).toBeGreaterThan(5);
    // The raw body, for bot authors: hidden until "显示 JSON" is ticked.
    expect(await text.locator("pre.raw").isVisible()).toBe(false);
    await page.check("#show-raw");
    expect(await text.locator("pre.raw").isVisible()).toBe(true);
    expect(JSON.parse((await text.locator("pre.raw").textContent()) ?? "")).toMatchObject({
      msgtype: "text",
    });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("renders work notifications (OA card) and OpenAPI messages in the 1:1 chat", async () => {
    const { page, errors } = await open(world.singleId);
    const oa = messageOf(page, "oa");
    expect(await oa.locator(".oa-head").textContent()).toBe("审批");
    expect(await oa.locator(".oa-head").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
      "rgb(187, 187, 187)",
    );
    expect(await oa.locator(".oa-title").textContent()).toBe("请假申请");
    expect(await oa.locator(".oa-form dt").allTextContents()).toEqual(["姓名：", "天数："]);
    expect(await oa.locator(".oa-num").textContent()).toBe("15.6");
    expect(await oa.locator(".badge-bot").textContent()).toBe("工作通知");
    // Read state: 李四 (the 1:1's member, chosen as sender) reads it; the emulator records it.
    expect(await oa.locator(".read-state").textContent()).toBe("未读");
    await oa.locator("button.mark-read").click();
    await expect.poll(() => oa.locator(".read-state").textContent()).toBe("已读");
    expect(await oa.locator("button.mark-read").count()).toBe(0);
    const stored = emulator.store.messages.find((m) => m.body.msgtype === "oa")!;
    expect(Object.keys(stored.readBy ?? {})).toEqual(["lisi"]);
    const workCard = page.locator('#messages li.message[data-msgtype="action_card"]');
    expect(await workCard.locator(".markdown h3").textContent()).toBe("发布审批");
    expect(await workCard.locator(".card-buttons.horizontal a.card-button").allTextContents()).toEqual([
      "批准",
      "驳回",
    ]);
    expect(await workCard.locator("a.card-button").first().getAttribute("href")).toBe(
      "https://example.com/approve",
    );
    const workLink = messageOf(page, "link");
    expect(await workLink.locator(".card-title").textContent()).toBe("月度账单");
    // A DingTalk media id has no URL here: a labelled placeholder instead of a broken image.
    expect(await workLink.locator(".media-placeholder").count()).toBe(1);
    const openapi = page.locator('#messages li.message[data-via="openapi"]');
    expect(await openapi.locator("img.message-image").getAttribute("src")).toBe(
      "https://example.com/photo.png",
    );
    expect(await openapi.locator(".card-buttons.horizontal a.card-button").allTextContents()).toEqual([
      "上线",
      "取消",
    ]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows new messages and rejections live, without a reload", async () => {
    const { page, errors } = await open(world.groupId);
    const before = await page.locator("#messages li.message").count();
    const robot = [...emulator.store.robots.values()].find((r) => r.name === "告警机器人")!;
    // A real request to the robot endpoint, accepted: it appears in the open conversation.
    const ok = await fetch(`${baseUrl}/robot/send?access_token=${robot.accessToken}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ msgtype: "text", text: { content: "告警恢复：磁盘 60%" } }),
    });
    expect(await ok.json()).toMatchObject({ errcode: 0 });
    await expect.poll(() => page.locator("#messages li.message").count()).toBe(before + 1);
    expect(await page.locator("#messages li.message").last().textContent()).toContain("告警恢复：磁盘 60%");

    // Refused for a missing keyword: the panel says which robot and why.
    const refused = await fetch(`${baseUrl}/robot/send?access_token=${robot.accessToken}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ msgtype: "text", text: { content: "no keyword here" } }),
    });
    expect(await refused.json()).toMatchObject({ errcode: 310000 });
    await expect.poll(() => page.locator("#rejection-list li.rejection").count()).toBe(2);
    const newest = page.locator("#rejection-list li.rejection").first();
    expect(await newest.getAttribute("data-reason")).toBe("keyword");
    expect(await newest.textContent()).toContain("310000");
    expect(await newest.textContent()).toContain("告警机器人");
    expect(await page.textContent("#rejection-count")).toBe("2");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("has a keyboard path: skip links, then the composer in order, with visible focus", async () => {
    let { page, errors } = await open(world.groupId);
    const active = () =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || "");
    await page.keyboard.press("Tab");
    expect(await active()).toContain("跳到输入框");
    expect(await page.isVisible(".skip-link >> nth=0")).toBe(true);
    await page.keyboard.press("Tab");
    expect(await active()).toContain("跳到消息");
    await page.keyboard.press("Enter");
    await expect.poll(active).toBe("messages");
    // From the top again, the first skip link jumps over the messages' links straight into the text box.
    await page.context().close();
    const second = await open(world.groupId);
    page = second.page;
    errors.push(...second.errors);
    await page.keyboard.press("Tab");
    expect(await active()).toContain("跳到输入框");
    await page.keyboard.press("Enter");
    await expect.poll(active).toBe("composer-text");
    const order: string[] = [];
    for (const key of ["Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
      await page.keyboard.press(key);
      order.push(await active());
      expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe("solid");
    }
    expect(order).toEqual([
      "composer-send",
      "composer-text",
      "composer-attach",
      "composer-picture",
      "composer-robot",
      "composer-from",
    ]);
    // Every form control has an accessible name.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll("select, textarea, input, button")]
        .filter((el) => !el.textContent?.trim() && !(el as HTMLInputElement).labels?.length)
        .map((el) => el.id),
    );
    expect(unnamed).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("keeps up with a storm in another conversation: unread count, keyboard focus kept, newest 500 drawn", async () => {
    const { page, errors } = await open(world.groupId);
    const other = page.locator(`#conversation-list button.conversation[data-id="${world.singleId}"]`);
    await other.focus();
    const sender = { kind: "robot" as const, id: "storm", name: "风暴机器人" };
    for (let i = 0; i < 600; i += 1) {
      emulator.store.recordMessage({
        conversationId: world.singleId,
        sender,
        via: "webhook",
        body: { msgtype: "text", text: { content: `告警 #${i}` } },
      });
    }
    await expect.poll(() => other.locator(".unread").textContent()).toBe("600");
    expect(await other.locator(".conv-preview").textContent()).toContain("告警 #599");
    // The list was re-rendered many times; the conversation the user was on still has the focus.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe(world.singleId);
    await page.keyboard.press("Enter");
    // The newest 500 are drawn; the rest on request.
    await expect
      .poll(() => page.locator('#messages li.message[data-via="webhook"]').count())
      .toBeGreaterThan(400);
    expect(await page.locator("#messages li.message").last().textContent()).toContain("告警 #599");
    expect(await other.locator(".unread").count()).toBe(0);
    const total = emulator.store.listMessages({ conversationId: world.singleId }).length;
    expect(await page.locator("#messages li.message").count()).toBe(500);
    expect(await page.textContent("button.show-earlier")).toContain(`显示更早的 ${total - 500} 条`);
    await page.click("button.show-earlier");
    expect(await page.locator("#messages li.message").count()).toBe(total);
    expect(await page.locator("button.show-earlier").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("at 360 px the conversation list collapses behind a button and nothing overflows", async () => {
    const { page, errors } = await open(world.groupId, { width: 360, height: 740 });
    expect(await page.isVisible("#conversations")).toBe(false);
    expect(await page.isVisible("#toggle-conversations")).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.click("#toggle-conversations");
    expect(await page.getAttribute("#toggle-conversations", "aria-expanded")).toBe("true");
    expect(await page.isVisible("#conversations")).toBe(true);
    // Keyboard: focus moved into the list; Tab to the second conversation and open it with Enter.
    const second = await page
      .locator("#conversation-list button.conversation .conv-title")
      .nth(1)
      .textContent();
    expect(await page.evaluate(() => document.activeElement?.classList.contains("conversation"))).toBe(true);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    expect(await page.isVisible("#conversations")).toBe(false);
    expect(await page.textContent("#chat-title")).toBe(second);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  // Last: it wipes the world the other tests use.
  it("follows a reset of the emulator and shows what is created after it", async () => {
    const { page, errors } = await open(world.groupId);
    const reset = await fetch(`${baseUrl}/_emulator/reset`, { method: "POST" });
    expect(reset.status).toBe(200);
    await expect.poll(() => page.locator("#conversation-list button.conversation").count()).toBe(0);
    expect(await page.isVisible("#no-conversations")).toBe(true);
    expect(await page.textContent("#rejection-count")).toBe("0");
    expect(await page.textContent("#chat-title")).toBe("未选择会话");
    const fresh = emulator.store.createConversation({ type: "group", title: "新的群" });
    await expect
      .poll(() => page.locator("#conversation-list .conv-title").allTextContents())
      .toEqual(["新的群"]);
    await page.click(`#conversation-list button.conversation[data-id="${fresh.conversationId}"]`);
    expect(await page.textContent("#chat-title")).toBe("新的群");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
