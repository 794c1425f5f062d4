/**
 * A bot that reads what people send it: a picture (alone, or in a rich text: what a group's "@robot + picture"
 * is) is answered with its type, size and dimensions, a PDF with
 * its page count, any other file with its size, a voice note with DingTalk's own recognition of it; and
 * "图表" (or "chart") is answered with a picture, a small bar chart drawn in code and sent with
 * `ctx.replyImage` (uploaded to `/media/upload`, then sent through the robot OpenAPI).
 *
 *   DINGTALK_APP_KEY=… DINGTALK_APP_SECRET=… npx dingbot serve examples/file-bot.ts --stream
 *
 * Against the emulator, add DINGTALK_BASE_URL=http://127.0.0.1:8089 (`npm start` runs it for you as
 * 文件机器人, with the app key `dingdemofilebot`). Downloads and media replies need the app's key and
 * secret: `dingbot serve` passes them from the environment. No dependency beyond dingbot-sdk: the page
 * counter and the PNG encoder below are a few lines each.
 */
import { crc32, deflateSync } from "node:zlib";
import { Bot } from "dingbot-sdk/bot";

const bot = new Bot();

/** Largest file the bot reads (it holds it in memory to look inside). */
const MAX_BYTES = 20 * 1024 * 1024;

bot.on("picture", async (ctx) => {
  const { data, contentType } = await ctx.download(undefined, { maxBytes: MAX_BYTES });
  await ctx.replyText(`收到图片：${describePicture(data, contentType)}`);
});

// In a group, "@robot" and a picture arrive as one rich text (text parts and pictures): read each picture.
bot.on("richText", async (ctx) => {
  const pictures = ctx.media.filter((part) => part.kind === "picture");
  if (pictures.length === 0) return ctx.replyText(`收到文字：${ctx.text}`);
  const lines: string[] = [];
  for (const [i, part] of pictures.entries()) {
    const { data, contentType } = await ctx.download(part, { maxBytes: MAX_BYTES });
    lines.push(`${i + 1}. ${describePicture(data, contentType)}`);
  }
  return ctx.replyText(`收到 ${pictures.length} 张图片：\n${lines.join("\n")}`);
});

bot.on("file", async (ctx) => {
  const file = await ctx.download(undefined, { maxBytes: MAX_BYTES });
  const name = file.fileName ?? ctx.message.content.fileName;
  if (isPdf(file.data)) {
    const pages = countPdfPages(file.data);
    await ctx.replyText(`收到 PDF《${name}》：${pages} 页，${formatBytes(file.data.byteLength)}`);
  } else {
    await ctx.replyText(`收到文件《${name}》：${formatBytes(file.data.byteLength)}`);
  }
});

bot.on("audio", (ctx) => {
  const seconds = Math.round(Number(ctx.message.content.duration ?? 0) / 1000);
  const heard = ctx.message.content.recognition;
  return ctx.replyText(
    heard ? `你说（${seconds} 秒）：${heard}` : `收到 ${seconds} 秒的语音，没有识别出文字`,
  );
});

bot.hears(["图表", "chart"], (ctx) =>
  ctx.replyImage(barChartPng([3, 7, 4, 9, 6]), { fileName: "chart.png" }),
);

bot.on("text", (ctx) => ctx.replyText("发一张图片、一个文件或一条语音给我；说“图表”，我回一张图。"));

// Videos, rich text and the rest: say what arrived instead of staying silent.
bot.use((ctx) => ctx.replyText(`收到一条 ${ctx.message.msgtype} 消息`));

export default bot;

/** `image/png，407 字节，64×40 像素`. */
function describePicture(data: Uint8Array, contentType: string | undefined): string {
  const size = imageSize(data);
  const dimensions = size ? `，${size.width}×${size.height} 像素` : "";
  return `${contentType ?? "未知类型"}，${formatBytes(data.byteLength)}${dimensions}`;
}

/** `1.5 KB`, `2.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} 字节`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Width and height of a PNG, GIF or JPEG, read from its header; undefined for anything else. */
export function imageSize(data: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // PNG: the signature, then the IHDR chunk with width and height (big-endian).
  if (data.byteLength >= 24 && view.getUint32(0) === 0x89504e47 && view.getUint32(12) === 0x49484452) {
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  // GIF: "GIF8", then width and height (little-endian).
  if (data.byteLength >= 10 && view.getUint32(0) === 0x47494638) {
    return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  // JPEG: walk the segments to the first start-of-frame (SOF0…SOF15 but DHT, JPG and DAC).
  if (data.byteLength >= 4 && view.getUint16(0) === 0xffd8) {
    let offset = 2;
    while (offset + 9 <= data.byteLength && data[offset] === 0xff) {
      const marker = data[offset + 1]!;
      const length = view.getUint16(offset + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: view.getUint16(offset + 7), height: view.getUint16(offset + 5) };
      }
      offset += 2 + length;
    }
  }
  return undefined;
}

/** Whether the bytes start like a PDF (`%PDF-`). */
export function isPdf(data: Uint8Array): boolean {
  return (
    Buffer.from(data.buffer, data.byteOffset, Math.min(5, data.byteLength)).toString("latin1") === "%PDF-"
  );
}

/**
 * Pages of a PDF, counted as its `/Type /Page` objects (not `/Pages`, the page tree's nodes). Good enough
 * for a chat bot: a PDF whose objects are all inside compressed object streams counts 0, and an
 * incrementally updated one may count a page twice.
 */
export function countPdfPages(data: Uint8Array): number {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
  return text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
}

/** A small bar chart as a PNG: white background, one blue bar per value. */
export function barChartPng(values: readonly number[], width = 120, height = 80): Uint8Array {
  const max = Math.max(1, ...values);
  const slot = Math.floor(width / Math.max(1, values.length));
  const pixels = Buffer.alloc(height * (1 + width * 3), 0xff); // each row: filter byte 0, then RGB
  for (let y = 0; y < height; y += 1) {
    const row = y * (1 + width * 3);
    pixels[row] = 0;
    values.forEach((value, i) => {
      const top = height - Math.round((value / max) * (height - 8));
      if (y < top) return;
      for (let x = i * slot + 4; x < (i + 1) * slot - 4 && x < width; x += 1) {
        pixels.set([0x32, 0x96, 0xfa], row + 1 + x * 3);
      }
    });
  }
  return png(width, height, pixels);
}

/** Encodes raw RGB rows (each starting with its filter byte) as a PNG. */
function png(width: number, height: number, rows: Buffer): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.byteLength)), 8 + data.byteLength);
  return out;
}
