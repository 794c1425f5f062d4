/**
 * Cards on the chat page, in Chromium: an AI card streamed by a dingbot Bot (Stream mode, `ctx.replyStream`)
 * grows on the page over the emulator's events, from 思考中… to finished; a card API caller's card fails
 * (flowStatus 5) and stays escaped; an interactive card's button, pressed on the page as the composer's
 * person, reaches the bot's `bot.action`, and the card shows the bot's answer.
 */
import { Bot, streamTransport } from "dingbot-sdk/bot";
import { AI_CARD_TEMPLATE_ID } from "dingbot-sdk/protocol";
import { type AppRecord, createEmulator, type Emulator } from "dingbot-tools/emulator";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumAvailable,
  createBotGroup,
  launchChromium,
  openConversation,
  openPage,
} from "./page-fixtures.js";

const RUN = chromiumAvailable();

/** An async iterable the test feeds token by token (a model's answer, under the test's control). */
class Tokens implements AsyncIterable<string> {
  #queue: string[] = [];
  #done = false;
  #wake: (() => void) | null = null;
  push(token: string): void {
    this.#queue.push(token);
    this.#wake?.();
  }
  end(): void {
    this.#done = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) yield next;
      else if (this.#done) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

describe.skipIf(!RUN)("Chat page: cards", () => {
  let emulator: Emulator;
  let baseUrl: string;
  let browser: Browser;
  let app: AppRecord;
  let groupId: string;
  let bot: Bot;
  let tokens: Tokens | null = null;
  const presses: Array<{ userId: string; actionIds: string[] }> = [];

  beforeAll(async () => {
    emulator = createEmulator({ callbackTimeoutMs: 3000 });
    baseUrl = await emulator.listen(0, "127.0.0.1");
    ({ app, groupId } = createBotGroup(emulator.store, "AI 助手", "卡片测试群"));
    const registered = await fetch(`${baseUrl}/_emulator/card-templates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        templateId: "deploy.schema",
        name: "发布审批",
        fields: [
          { key: "service", label: "服务" },
          { key: "status", label: "状态" },
        ],
        buttons: [
          { actionId: "approve", title: "批准", params: { decision: "yes" } },
          { actionId: "reject", title: "驳回" },
        ],
      }),
    });
    expect(registered.status).toBe(201);
    bot = new Bot({ appKey: app.appKey, appSecret: app.appSecret, baseUrl });
    bot.command("/deploy", (ctx) =>
      ctx.replyCard({ templateId: "deploy.schema", data: { service: "<b>api</b>", status: "待批准" } }),
    );
    // A model that fails half-way: the library finishes the card as failed (flowStatus 5).
    bot.hears("出错", async (ctx) => {
      async function* failing(): AsyncGenerator<string> {
        yield "部分回答…";
        throw new Error("模型超时");
      }
      await ctx.replyStream(failing(), { title: "AI 助手", minIntervalMs: 0 }).catch(() => undefined);
    });
    bot.on("text", async (ctx) => {
      tokens = new Tokens();
      await ctx.replyStream(tokens, { title: "AI 助手", minIntervalMs: 0 });
    });
    bot.action(/^(approve|reject)$/, (ctx) => {
      presses.push({ userId: ctx.card.userId, actionIds: [ctx.match?.[1] ?? ""] });
      const approved = ctx.match?.[1] === "approve";
      ctx.updateCard(
        { status: approved ? `已批准（${ctx.card.userId}）` : `已驳回（${ctx.card.userId}）` },
        { myChoice: approved ? "我批准了" : "我驳回了" },
      );
    });
    await bot.start(streamTransport({ clientId: app.appKey, clientSecret: app.appSecret, baseUrl }));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await bot?.stop();
    await emulator?.close();
  });

  const open = (viewport?: { width: number; height: number }) =>
    openConversation(browser, baseUrl, groupId, viewport);

  it("grows an AI card streamed by the library: 思考中…, the text as it arrives, then finished", async () => {
    const { page, errors } = await open();
    await page.selectOption("#composer-from", "zhangsan");
    await page.fill("#composer-text", "介绍一下你自己");
    await page.keyboard.press("Enter");
    const card = page.locator("#messages li.message[data-via=card] .ai-card");
    // The card is there before the first token: thinking.
    await expect.poll(() => card.getAttribute("data-state")).toBe("thinking");
    expect(await card.locator(".ai-thinking").textContent()).toContain("思考中…");
    expect(await card.locator(".ai-card-title").textContent()).toBe("AI 助手");
    expect(await page.locator("#messages li.message[data-via=card]").getAttribute("aria-busy")).toBe("true");
    await expect.poll(() => tokens !== null).toBe(true);
    tokens?.push("## 你好\n");
    await expect.poll(() => card.getAttribute("data-state")).toBe("streaming");
    await expect.poll(() => card.locator(".markdown h2").textContent()).toBe("你好");
    expect(await card.locator(".ai-thinking").count()).toBe(0);
    tokens?.push("我是**机器人**，");
    await expect.poll(() => card.locator(".markdown strong").textContent()).toBe("机器人");
    tokens?.push("很高兴认识你。");
    await expect.poll(() => card.locator(".markdown").textContent()).toContain("我是机器人，很高兴认识你。");
    tokens?.end();
    await expect.poll(() => card.getAttribute("data-state")).toBe("finished");
    expect(await card.locator(".ai-card-foot").textContent()).toContain("已完成");
    expect(await page.locator("#messages li.message[data-via=card]").getAttribute("aria-busy")).toBeNull();
    // One message for the card, redrawn in place, never a new one per update.
    expect(await page.locator("#messages li.message[data-via=card]").count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows an AI card the library failed (its source threw) as failed, with the text it had", async () => {
    const { page, errors } = await open();
    await page.selectOption("#composer-from", "lisi");
    await page.fill("#composer-text", "出错");
    await page.keyboard.press("Enter");
    const card = page.locator('#messages li.message[data-via=card] .ai-card[data-state="failed"]');
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    expect(await card.locator(".markdown").textContent()).toContain("部分回答…");
    expect(await card.locator(".ai-card-foot.failed").textContent()).toContain("生成失败");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows a card the card API fails (flowStatus 5), and never renders its data as HTML", async () => {
    const { page, errors } = await open();
    const token = (
      (await (
        await fetch(`${baseUrl}/v1.0/oauth2/accessToken`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ appKey: app.appKey, appSecret: app.appSecret }),
        })
      ).json()) as { accessToken: string }
    ).accessToken;
    const call = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": token },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
    };
    await call("POST", "/v1.0/card/instances/createAndDeliver", {
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      outTrackId: "page-failed-1",
      cardData: {
        cardParamMap: { msgTitle: "<img src=x onerror=alert(1)>标题", msgContent: "", flowStatus: "1" },
      },
      openSpaceId: `dtv1.card//IM_GROUP.${groupId}`,
      imGroupOpenDeliverModel: { robotCode: app.robotCode },
    });
    const card = page.locator('#messages li.message[data-via=card] .ai-card[data-state="thinking"]');
    await expect.poll(() => card.count()).toBe(1);
    await call("PUT", "/v1.0/card/streaming", {
      outTrackId: "page-failed-1",
      guid: "g1",
      key: "msgContent",
      content: "查询中<script>window.pwned=1</script><img src=x onerror=window.pwned=1>",
      isFull: true,
      isFinalize: false,
      isError: false,
    });
    const failedCard = page.locator('#messages .ai-card[data-title*="标题"]');
    await expect.poll(() => failedCard.getAttribute("data-state")).toBe("streaming");
    await call("PUT", "/v1.0/card/instances", {
      outTrackId: "page-failed-1",
      cardData: { cardParamMap: { flowStatus: "5" } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
    await expect.poll(() => failedCard.getAttribute("data-state")).toBe("failed");
    expect(await failedCard.locator(".ai-card-foot.failed").textContent()).toContain("生成失败");
    // Everything from the card is text: the title and the markdown's raw HTML arrive escaped.
    expect(await failedCard.locator(".ai-card-title").textContent()).toBe("<img src=x onerror=alert(1)>标题");
    expect(await failedCard.locator("script, img").count()).toBe(0);
    expect(await failedCard.locator(".markdown").textContent()).toContain("<script>window.pwned=1</script>");
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("an interactive card's button, pressed as the composer's person, reaches bot.action and the card updates", async () => {
    const { page, errors } = await open();
    await page.selectOption("#composer-from", "lisi");
    await page.fill("#composer-text", "/deploy");
    await page.keyboard.press("Enter");
    const card = page.locator(
      '#messages li.message[data-via=card] .interactive-card[data-template="deploy.schema"]',
    );
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.locator(".card-title").textContent()).toBe("发布审批");
    expect(await card.locator('dt[data-key="service"]').textContent()).toBe("服务");
    // Card data is text, never HTML.
    expect(await card.locator('dd[data-key="service"]').textContent()).toBe("<b>api</b>");
    expect(await card.locator("b").count()).toBe(0);
    expect(await card.locator('dd[data-key="status"]').textContent()).toBe("待批准");
    const buttons = card.locator("button.card-action");
    expect(await buttons.allTextContents()).toEqual(["批准", "驳回"]);
    // Keyboard: the button is a real button, Enter presses it.
    await card.locator('button[data-action-id="approve"]').focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => card.locator('dd[data-key="status"]').textContent(), { timeout: 10_000 })
      .toBe("已批准（lisi）");
    expect(presses).toEqual([{ userId: "lisi", actionIds: ["approve"] }]);
    await expect.poll(() => page.getAttribute("#composer-status", "data-kind")).toBe("ok");
    expect(await page.textContent("#composer-status")).toContain("已送达机器人");
    // The presser sees their private data; the redrawn card kept the keyboard focus on its button.
    expect(await card.locator('dd[data-key="myChoice"]').textContent()).toBe("我批准了");
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.actionId)).toBe(
      "approve",
    );
    // Another person sees the shared data only.
    await page.selectOption("#composer-from", "zhangsan");
    await expect.poll(() => card.locator('dd[data-key="myChoice"]').count()).toBe(0);
    expect(await card.locator('dd[data-key="status"]').textContent()).toBe("已批准（lisi）");
    // The emulator's record says the same.
    const view = (await (
      await fetch(`${baseUrl}/_emulator/cards?conversationId=${encodeURIComponent(groupId)}`)
    ).json()) as Array<{
      cardTemplateId: string;
      cardParamMap: Record<string, string>;
    }>;
    expect(view.find((c) => c.cardTemplateId === "deploy.schema")?.cardParamMap.status).toBe(
      "已批准（lisi）",
    );
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows a legacy robot interactive card (interactiveCards/send) and its update", async () => {
    const { page, errors } = await open();
    const { accessToken } = (await (
      await fetch(`${baseUrl}/v1.0/oauth2/accessToken`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ appKey: app.appKey, appSecret: app.appSecret }),
      })
    ).json()) as { accessToken: string };
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": accessToken },
        body: JSON.stringify(body),
      });
    const sent = await call("POST", "/v1.0/im/v1.0/robot/interactiveCards/send", {
      cardTemplateId: "StandardCard",
      cardBizId: "page-legacy-1",
      robotCode: app.robotCode,
      openConversationId: groupId,
      cardData: JSON.stringify({
        header: { title: { type: "text", text: "磁盘告警<b>!</b>" } },
        contents: [{ type: "markdown", text: "**web-01** 磁盘 91%<script>window.pwned=1</script>" }],
      }),
    });
    expect(sent.status).toBe(200);
    const card = page.locator("#messages .legacy-card");
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.locator(".card-title").textContent()).toBe("磁盘告警<b>!</b>");
    expect(await card.locator(".markdown strong").textContent()).toBe("web-01");
    expect(await card.locator("b, script").count()).toBe(0);
    const updated = await call("PUT", "/v1.0/im/robots/interactiveCards", {
      cardBizId: "page-legacy-1",
      cardData: JSON.stringify({ contents: [{ type: "markdown", text: "已恢复" }] }),
      updateOptions: { updateCardDataByKey: true },
    });
    expect(updated.status).toBe(200);
    await expect.poll(async () => (await card.locator(".markdown").textContent())?.trim()).toBe("已恢复");
    expect(await card.locator(".card-title").textContent()).toBe("磁盘告警<b>!</b>");
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("says so when a press does not reach the bot (a Stream bot that is not connected)", async () => {
    const { store } = emulator;
    const offline = store.createApp({ name: "离线机器人", mode: "stream" });
    const conversation = store.createConversation({
      type: "group",
      title: "离线卡片群",
      members: ["lisi"],
      robots: [offline.robotCode],
    });
    const { accessToken } = (await (
      await fetch(`${baseUrl}/v1.0/oauth2/accessToken`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ appKey: offline.appKey, appSecret: offline.appSecret }),
      })
    ).json()) as { accessToken: string };
    const created = await fetch(`${baseUrl}/v1.0/card/instances/createAndDeliver`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": accessToken },
      body: JSON.stringify({
        cardTemplateId: "deploy.schema",
        outTrackId: "page-offline-1",
        cardData: { cardParamMap: { service: "web", status: "待批准" } },
        openSpaceId: `dtv1.card//IM_GROUP.${conversation.conversationId}`,
        imGroupOpenDeliverModel: { robotCode: offline.robotCode },
      }),
    });
    expect(created.status).toBe(200);
    const opened = await openPage(browser, baseUrl);
    const { page, errors } = opened;
    await page.goto(`${baseUrl}/#c=${encodeURIComponent(conversation.conversationId)}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.click('#messages .interactive-card button[data-action-id="reject"]');
    await expect.poll(() => page.getAttribute("#composer-status", "data-kind")).toBe("error");
    expect(await page.textContent("#composer-status")).toContain("机器人没有收到「驳回」");
    expect(await page.locator('#messages dd[data-key="status"]').textContent()).toBe("待批准");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("fits cards on a 360 px wide screen", async () => {
    const { page, errors } = await open({ width: 360, height: 740 });
    await expect.poll(() => page.locator("#messages .card").count()).toBeGreaterThanOrEqual(3);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    for (const box of await page
      .locator("#messages .card")
      .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().right)))
      expect(box).toBeLessThanOrEqual(360);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
