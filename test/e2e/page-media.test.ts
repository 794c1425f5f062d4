/**
 * Pictures, files, quotes, voice, video and rich text on the chat page, in Chromium. The composer attaches a
 * picture and a file through the browser's file picker (uploaded with `POST /_emulator/media`, then sent as
 * `msgtype: picture | file`) to examples/file-bot.ts over Stream mode, which downloads them and answers;
 * 引用 quotes a message; the bot's picture reply and a robot's file, voice and video (AppClient.media) render
 * from their recorded files, and a person's voice, video and rich text from control-API messages.
 */
import { AppClient } from "dingbot-sdk";
import { streamTransport } from "dingbot-sdk/bot";
import { type AppRecord, createEmulator, type Emulator } from "dingbot-tools/emulator";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fileBot from "../../examples/file-bot.js";
import { demoPicturePng } from "../../packages/dingbot-tools/src/demo/picture.js";
import { chromiumAvailable, createBotGroup, launchChromium, openConversation } from "./page-fixtures.js";

const RUN = chromiumAvailable();

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies field by field
type Json = Record<string, any>;

describe.skipIf(!RUN)("Chat page: pictures, files, quotes and media", () => {
  let emulator: Emulator;
  let baseUrl: string;
  let browser: Browser;
  let app: AppRecord;
  let groupId: string;

  beforeAll(async () => {
    emulator = createEmulator({ callbackTimeoutMs: 5000 });
    baseUrl = await emulator.listen(0, "127.0.0.1");
    ({ app, groupId } = createBotGroup(emulator.store, "文件机器人", "文件测试群"));
    // Its credentials and the emulator's address, as `dingbot serve` and the demo give them.
    fileBot.configure({ appKey: app.appKey, appSecret: app.appSecret, robotCode: app.robotCode, baseUrl });
    await fileBot.start(streamTransport({ clientId: app.appKey, clientSecret: app.appSecret, baseUrl }));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await fileBot.stop();
    await emulator?.close();
  });

  const open = (viewport?: { width: number; height: number }) =>
    openConversation(browser, baseUrl, groupId, viewport);

  async function control(method: string, path: string, body?: unknown): Promise<Json> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    expect(response.status, `${method} ${path}`).toBeLessThan(300);
    return (await response.json()) as Json;
  }

  /** Waits for an image to load and answers its natural width (0: broken). */
  const loadedWidth = (page: Page, selector: string) =>
    page.locator(selector).evaluate(async (img: HTMLImageElement) => {
      if (!img.complete) {
        await new Promise((resolve) => {
          img.addEventListener("load", resolve, { once: true });
          img.addEventListener("error", resolve, { once: true });
        });
      }
      return img.naturalWidth;
    });

  it("attaches a picture from the page: it reaches the bot, which reads it, and renders as an image", async () => {
    const { page, errors } = await open();
    await page.selectOption("#composer-from", "lisi");
    const png = Buffer.from(demoPicturePng());
    const chooser = page.waitForEvent("filechooser");
    await page.click("#composer-picture");
    await (await chooser).setFiles({ name: "机房.png", mimeType: "image/png", buffer: png });
    const mine = page.locator('#messages li.message.from-user[data-msgtype="picture"]');
    await expect.poll(() => mine.count()).toBe(1);
    expect(await mine.locator("img").getAttribute("alt")).toBe("图片 机房.png");
    expect(await mine.locator("img").getAttribute("src")).toMatch(/^\/_emulator\/media\/[\w@.%-]+$/);
    expect(await loadedWidth(page, '#messages li.message.from-user[data-msgtype="picture"] img')).toBe(64);
    // The bot downloaded it (its answer names the type, size and dimensions) and the page shows the answer.
    const reply = page.locator("#messages li.message.from-bot .text", { hasText: "收到图片" });
    await expect.poll(() => reply.count(), { timeout: 10_000 }).toBe(1);
    expect(await reply.textContent()).toBe(`收到图片：image/png，${png.byteLength} 字节，64×40 像素`);
    expect(await mine.locator(".delivery.ok").count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("attaches a file: name and size shown as text, a download link, and the bot gets the same bytes", async () => {
    const { page, errors } = await open();
    await page.selectOption("#composer-from", "zhangsan");
    const name = "周报<img src=x onerror=alert(1)>.txt";
    const bytes = Buffer.from("本周告警 12 条\n".repeat(100));
    const chooser = page.waitForEvent("filechooser");
    await page.click("#composer-attach");
    await (await chooser).setFiles({ name, mimeType: "text/plain", buffer: bytes });
    const mine = page.locator('#messages li.message.from-user[data-msgtype="file"]');
    await expect.poll(() => mine.count()).toBe(1);
    expect(await mine.locator(".file-name").textContent()).toBe(name);
    expect(await mine.locator(".file-size").textContent()).toBe(`${(bytes.byteLength / 1024).toFixed(1)} KB`);
    expect(await mine.locator("img").count()).toBe(0);
    const href = await mine.locator("a.file-download").getAttribute("href");
    expect(href).toMatch(/^\/_emulator\/media\/[\w@.%-]+\?download$/);
    const downloaded = await fetch(`${baseUrl}${href}`);
    expect(downloaded.headers.get("content-disposition")).toContain("attachment");
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);
    const reply = page.locator("#messages li.message.from-bot .text", { hasText: "收到文件" });
    await expect.poll(() => reply.count(), { timeout: 10_000 }).toBe(1);
    expect(await reply.textContent()).toBe(`收到文件《${name}》：${(bytes.byteLength / 1024).toFixed(1)} KB`);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("quotes a message with 引用: shown above the input, sent as quote, drawn above the reply", async () => {
    const { page, errors } = await open();
    await page.selectOption("#composer-from", "lisi");
    const quoted = page.locator("#messages li.message.from-bot", { hasText: "收到图片" });
    await expect.poll(() => quoted.count()).toBe(1);
    const quotedId = await quoted.getAttribute("data-id");
    // Keyboard: the 引用 action is a button.
    await quoted.locator("button.quote-action").focus();
    await page.keyboard.press("Enter");
    expect(await page.isVisible("#composer-quote")).toBe(true);
    expect(await page.textContent("#composer-quote-text")).toContain("文件机器人：收到图片");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-text");
    // Cancel, then quote again.
    await page.click("#composer-quote-cancel");
    expect(await page.isVisible("#composer-quote")).toBe(false);
    await quoted.locator("button.quote-action").click();
    await page.fill("#composer-text", "这张图是哪台机器？");
    await page.keyboard.press("Enter");
    const reply = page.locator("#messages li.message.from-user", { hasText: "这张图是哪台机器？" });
    await expect.poll(() => reply.count()).toBe(1);
    expect(await reply.locator("blockquote.quote .quote-sender").textContent()).toBe("文件机器人：");
    expect(await reply.locator("blockquote.quote .quote-text").textContent()).toContain("收到图片");
    expect(await page.isVisible("#composer-quote")).toBe(false);
    // The emulator recorded it as a quoted reply of that message (what the bot got as text.repliedMsg).
    const record = emulator.store.messages.find((m) => JSON.stringify(m.body).includes("这张图是哪台机器？"));
    expect(record?.meta?.quote).toMatchObject({ messageId: quotedId, senderName: "文件机器人" });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("renders the bot's picture reply and a robot's file, voice and video from their recorded files", async () => {
    const { page, errors } = await open();
    await page.fill("#composer-text", "图表");
    await page.keyboard.press("Enter");
    const image = page.locator('#messages li.message.from-bot[data-msgtype="image"]');
    await expect.poll(() => image.count(), { timeout: 10_000 }).toBe(1);
    expect(await image.locator("img").getAttribute("alt")).toBe("图片 chart.png");
    expect(
      await loadedWidth(page, '#messages li.message.from-bot[data-msgtype="image"] img'),
    ).toBeGreaterThan(0);

    const client = new AppClient({ appKey: app.appKey, appSecret: app.appSecret, baseUrl });
    const to = { group: groupId };
    await client.media.sendFile(to, Buffer.from("%PDF-1.4\n"), { fileName: "发布说明.pdf" });
    await client.media.sendAudio(to, Buffer.from("ID3fakeaudio"), { fileName: "提醒.mp3", durationMs: 4200 });
    await client.media.sendVideo(to, {
      video: Buffer.from("fakevideo"),
      cover: demoPicturePng(),
      durationSeconds: 65,
    });
    const file = page.locator('#messages li.message.from-bot[data-msgtype="file"]');
    await expect.poll(() => file.count()).toBe(1);
    expect(await file.locator(".file-name").textContent()).toBe("发布说明.pdf");
    expect(await file.locator(".file-icon").textContent()).toBe("PDF");
    expect(await file.locator("a.file-download").getAttribute("href")).toMatch(/\?download$/);
    const voice = page.locator('#messages li.message.from-bot[data-msgtype="audio"]');
    await expect.poll(() => voice.count()).toBe(1);
    expect(await voice.locator(".voice-duration").textContent()).toBe("4″");
    expect(await voice.locator("audio").getAttribute("src")).toMatch(/^\/_emulator\/media\//);
    const video = page.locator('#messages li.message.from-bot[data-msgtype="video"]');
    await expect.poll(() => video.count()).toBe(1);
    expect(await video.locator(".video-meta").textContent()).toContain("1:05");
    expect(await video.locator("video").getAttribute("poster")).toMatch(/^\/_emulator\/media\//);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("renders a person's voice (duration and recognition), video and rich text sent through the control API", async () => {
    const upload = (fileName: string, bytes: Uint8Array, contentType: string) =>
      control("POST", "/_emulator/media", {
        fileName,
        contentType,
        base64: Buffer.from(bytes).toString("base64"),
      });
    const voice = await upload("语音.amr", Buffer.from("#!AMR\nfake"), "audio/amr");
    const clip = await upload("现场.mp4", Buffer.from("fake mp4"), "video/mp4");
    const picture = await upload("截图.png", demoPicturePng(), "image/png");
    const send = (body: Json) =>
      control("POST", `/_emulator/conversations/${encodeURIComponent(groupId)}/messages`, {
        from: "zhangsan",
        ...body,
      });
    await send({
      msgtype: "audio",
      content: { mediaId: voice.mediaId, duration: 3000, recognition: "今晚八点上线" },
    });
    await send({ msgtype: "video", content: { mediaId: clip.mediaId, duration: "5" } });
    await send({
      msgtype: "richText",
      content: {
        richText: [
          { text: "看这张<b>截图</b>：" },
          { type: "picture", mediaId: picture.mediaId },
          { text: "CPU 到了 97%" },
        ],
      },
    });
    const { page, errors } = await open({ width: 360, height: 740 });
    const audio = page.locator('#messages li.message[data-msgtype="audio"]').last();
    expect(await audio.locator(".voice-duration").textContent()).toBe("3″");
    expect(await audio.locator(".voice-text").textContent()).toContain("今晚八点上线");
    expect(await audio.locator("audio").getAttribute("aria-label")).toBe("播放语音");
    const video = page.locator('#messages li.message[data-msgtype="video"]').last();
    expect(await video.locator("video").getAttribute("src")).toBe(`/_emulator/media/${clip.mediaId}`);
    expect(await video.locator(".video-meta").textContent()).toContain("0:05");
    const rich = page.locator('#messages li.message[data-msgtype="richText"]');
    expect(await rich.locator(".rich-text").textContent()).toBe("看这张<b>截图</b>：CPU 到了 97%");
    expect(await rich.locator("b").count()).toBe(0);
    expect(await rich.locator("img").getAttribute("alt")).toBe("图片 截图.png");
    expect(await loadedWidth(page, '#messages li.message[data-msgtype="richText"] img')).toBe(64);
    // Nothing overflows a phone's width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
