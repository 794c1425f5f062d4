/**
 * examples/file-bot.ts against the emulator started in-process: a person sends a picture, a PDF, another
 * file and a voice note (each uploaded with `POST /_emulator/media`, then sent with
 * `POST /_emulator/conversations/:id/messages {from, msgtype, content, atRobot}`), and the test reads the
 * bot's answers in `GET /_emulator/messages`; "图表" is answered with a picture the emulator records with its
 * file resolved (name, type, size, and the bytes behind its download link).
 *
 *   npx vitest run examples/file-bot.test.ts
 */
import { httpCallbackHandler, type RunningHttpServer } from "dingbot-sdk";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import bot, { barChartPng, countPdfPages, imageSize } from "./file-bot.js";

const APP_KEY = "dingfilebot";
const APP_SECRET = "a-test-secret-only-the-emulator-knows";

let emulator: Emulator;
let server: RunningHttpServer;
let baseUrl: string;
let groupId: string;

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface MediaInfo {
  mediaId: string;
  fileName: string;
  contentType: string;
  size: number;
  downloadPath: string;
}

interface RecordedMessage {
  via: string;
  replyTo?: string;
  time: number;
  sender: { kind: string; name: string };
  body: { msgtype: string; text?: { content: string }; image?: { photoURL: string } };
  meta?: { media?: Array<MediaInfo & { kind: string }> };
}

/** A person's file, as `POST /_emulator/media` takes it (JSON with base64). */
function upload(fileName: string, bytes: Uint8Array, contentType?: string): Promise<MediaInfo> {
  return control<MediaInfo>("POST", "/_emulator/media", {
    fileName,
    ...(contentType ? { contentType } : {}),
    base64: Buffer.from(bytes).toString("base64"),
  });
}

/** 张三 sends a message of any kind to the bot in the group; returns the bot's text answers to it. */
async function send(msgtype: string, content: unknown, count = 1): Promise<string[]> {
  const sent = await control<{ msgId: string; delivered: boolean }>(
    "POST",
    `/_emulator/conversations/${encodeURIComponent(groupId)}/messages`,
    { from: "zhangsan", msgtype, content, atRobot: APP_KEY },
  );
  expect(sent.delivered).toBe(true);
  const replies = async () =>
    (await messages()).filter((m) => m.replyTo === sent.msgId).map((m) => m.body.text?.content ?? "");
  await expect.poll(replies).toHaveLength(count);
  return replies();
}

function messages(): Promise<RecordedMessage[]> {
  return control<RecordedMessage[]>(
    "GET",
    `/_emulator/messages?conversationId=${encodeURIComponent(groupId)}`,
  );
}

/** A PDF of `pages` empty pages, written as PDF writers do (a page tree, one object per page). */
function pdf(pages: number): Uint8Array {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(" ");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
    ...Array.from({ length: pages }, () => "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"),
  ];
  const body = objects.map((o, i) => `${i + 1} 0 obj\n${o}\nendobj\n`).join("");
  return Buffer.from(
    `%PDF-1.4\n${body}trailer\n<< /Root 1 0 R /Size ${objects.length + 1} >>\n%%EOF\n`,
    "latin1",
  );
}

beforeAll(async () => {
  emulator = createEmulator();
  baseUrl = await emulator.listen(0);
  // Downloads and media replies call DingTalk's API with the app's credentials; `dingbot serve` passes
  // them from the environment, a test configures them.
  bot.configure({ appKey: APP_KEY, appSecret: APP_SECRET, robotCode: APP_KEY, baseUrl });
  server = await httpCallbackHandler(bot, { appSecret: APP_SECRET }).listen(0);
  await control("POST", "/_emulator/apps", {
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    name: "文件机器人",
    callbackUrl: server.url,
    mode: "http",
  });
  await control("POST", "/_emulator/users", { userId: "zhangsan", name: "张三", mobile: "13800000001" });
  const group = await control<{ conversationId: string }>("POST", "/_emulator/conversations", {
    type: "group",
    title: "文件群",
    members: ["zhangsan"],
    robots: [APP_KEY],
  });
  groupId = group.conversationId;
});

afterAll(async () => {
  await server?.close();
  await emulator?.close();
});

describe("examples/file-bot.ts", () => {
  it("answers a picture with its type, size and dimensions", async () => {
    const picture = barChartPng([1, 2, 3], 40, 30);
    const { mediaId } = await upload("截图.png", picture);
    expect(await send("picture", { mediaId })).toEqual([
      `收到图片：image/png，${picture.byteLength} 字节，40×30 像素`,
    ]);
  });

  it("reads each picture of a rich text (a group's @robot + pictures)", async () => {
    const small = barChartPng([1], 10, 10);
    const wide = barChartPng([1, 2], 200, 20);
    const [a, b] = [await upload("a.png", small), await upload("b.png", wide)];
    const content = {
      richText: [
        { text: "看看这两张" },
        { type: "picture", mediaId: a.mediaId },
        { type: "picture", mediaId: b.mediaId },
      ],
    };
    expect(await send("richText", content)).toEqual([
      `收到 2 张图片：\n1. image/png，${small.byteLength} 字节，10×10 像素\n2. image/png，${wide.byteLength} 字节，200×20 像素`,
    ]);
  });

  it("answers a PDF with its page count, another file with its size", async () => {
    const report = pdf(3);
    const { mediaId } = await upload("周报.pdf", report);
    expect(await send("file", { mediaId, fileName: "周报.pdf" })).toEqual([
      `收到 PDF《周报.pdf》：3 页，${report.byteLength} 字节`,
    ]);
    const notes = await upload("notes.txt", Buffer.alloc(3000, "a"));
    expect(await send("file", { mediaId: notes.mediaId })).toEqual(["收到文件《notes.txt》：2.9 KB"]);
  });

  it("answers a voice note with DingTalk's recognition", async () => {
    const { mediaId } = await upload("voice.amr", Buffer.from("#!AMR\n\u0000\u0000\u0000", "latin1"));
    expect(await send("audio", { mediaId, duration: 3000, recognition: "明天上午十点开会" })).toEqual([
      "你说（3 秒）：明天上午十点开会",
    ]);
  });

  it('answers "图表" with a picture, recorded with its file resolved', async () => {
    const before = Date.now();
    expect(await send("text", { content: "图表" }, 0)).toEqual([]);
    const image = async () =>
      (await messages()).find((m) => m.via === "openapi" && m.body.msgtype === "image" && m.time >= before);
    await expect.poll(image).toBeDefined();
    const sent = (await image())!;
    expect(sent.sender).toMatchObject({ kind: "app", name: "文件机器人" });
    const chart = barChartPng([3, 7, 4, 9, 6]);
    expect(sent.meta?.media).toEqual([
      expect.objectContaining({
        kind: "picture",
        fileName: "chart.png",
        contentType: "image/png",
        size: chart.byteLength,
      }),
    ]);
    // The photoURL is the media_id of the upload, and its bytes are the chart the bot drew.
    const file = sent.meta!.media![0]!;
    expect(sent.body.image?.photoURL).toBe(file.mediaId);
    const bytes = new Uint8Array(await (await fetch(`${baseUrl}${file.downloadPath}`)).arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from(chart))).toBe(true);
    expect(imageSize(bytes)).toEqual({ width: 120, height: 80 });
  });

  it("counts pages as /Type /Page objects, not the /Pages tree", () => {
    expect(countPdfPages(pdf(1))).toBe(1);
    expect(countPdfPages(pdf(12))).toBe(12);
    expect(countPdfPages(Buffer.from("%PDF-1.7\n<</Type/Pages/Count 0>>"))).toBe(0);
  });
});
