/**
 * The chat page's rejection panel (issue 11 item 18): every tag in Chinese with the English reason beside
 * it, and long endpoint paths wrapped rather than cut off. Headless Chromium against a real emulator.
 */
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, openPage } from "./page-fixtures.js";

const RUN = chromiumAvailable();

/** Every reason the emulator records somewhere, plus one it does not know. */
const REASONS = [
  "sign",
  "timestamp",
  "keyword",
  "ip",
  "token",
  "credentials",
  "body",
  "content-type",
  "method",
  "msgtype",
  "rate-limit",
  "fault",
  "session",
  "delivery",
  "offline",
  "reply",
  "params",
  "path",
  "robot",
  "conversation",
  "user",
  "agent",
  "task",
  "recall",
  "something-new",
];

const LONG_PATH = `POST /topapi/${"very_long_api_name_segment/".repeat(12)}end`;

describe.skipIf(!RUN)("Chat page rejection panel", () => {
  let emulator: Emulator;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    emulator = createEmulator();
    baseUrl = await emulator.listen(0);
    emulator.store.createConversation({ conversationId: "cidRej", title: "告警群" });
    for (const reason of REASONS) {
      emulator.store.recordRejection({ endpoint: "POST /robot/send", errcode: 310000, errmsg: "x", reason });
    }
    emulator.store.recordRejection({
      endpoint: LONG_PATH,
      errcode: 22,
      errmsg: "不合法ApiName",
      reason: "path",
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
  });

  for (const viewport of [
    { width: 1280, height: 860 },
    { width: 360, height: 740 },
  ]) {
    it(`shows Chinese tags with the English reason beside, and wraps long paths (${viewport.width} px)`, async () => {
      const { page, errors } = await openPage(browser, baseUrl, viewport);
      await page.goto(`${baseUrl}/#c=cidRej`);
      await page.waitForSelector("body[data-ready=true]");
      await expect.poll(() => page.locator("#rejection-list li.rejection").count()).toBe(REASONS.length + 1);

      const tags = await page.locator("#rejection-list li.rejection").evaluateAll((items) =>
        items.map((li) => ({
          reason: li.getAttribute("data-reason"),
          tag: li.querySelector(".badge.reason")?.textContent ?? "",
          code: li.querySelector(".reason-code")?.textContent ?? "",
        })),
      );
      for (const { reason, tag, code } of tags) {
        // Chinese only (IP is how Chinese UIs write it); no English word such as "token" or "Content-Type".
        expect(tag.replace(/IP/g, ""), `tag of ${reason}`).toMatch(/^[\u3400-\u9fff ]+$/);
        expect(code).toBe(reason);
      }
      expect(tags.find((t) => t.reason === "something-new")?.tag).toBe("其他原因");

      const endpoint = page.locator("#rejection-list li.rejection .rejection-endpoint").first();
      expect(await endpoint.textContent()).toBe(LONG_PATH);
      const box = await endpoint.evaluate((el) => {
        const item = el.closest("li") as HTMLElement;
        const rect = el.getBoundingClientRect();
        const itemRect = item.getBoundingClientRect();
        const lineHeight = Number.parseFloat(getComputedStyle(el).lineHeight) || 16;
        return {
          fits: rect.right <= itemRect.right + 0.5 && el.scrollWidth <= el.clientWidth + 1,
          lines: Math.round(rect.height / lineHeight),
        };
      });
      expect(box.fits).toBe(true);
      expect(box.lines).toBeGreaterThan(1);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }
});
