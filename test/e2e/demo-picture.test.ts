/**
 * The demo's picture exchange: its traffic sends examples/file-bot.ts (文件机器人, Stream mode) a PNG drawn
 * in code from 李四 and "图表" from 张三; the bot answers the first with the picture's type, size and
 * dimensions and the second with a picture, recorded with its file resolved.
 */
import { describe, expect, it } from "vitest";
import { startDemo } from "../../packages/dingbot-tools/src/demo/index.js";
import { DEMO_PICTURE_SIZE, demoPicturePng } from "../../packages/dingbot-tools/src/demo/picture.js";

describe("demo: picture exchange with the file bot", () => {
  it("the file bot answers 李四's picture and 张三's 图表 with a picture", async () => {
    const demo = await startDemo({ port: 0, pauseMs: 0 });
    try {
      expect(demo.parts.join("\n")).toContain("examples/file-bot.ts");
      const steps = await demo.traffic;
      const mine = steps.filter((s) => s.what.includes("文件机器人"));
      expect(mine).toEqual([
        expect.objectContaining({ ok: true, what: expect.stringContaining("a picture (PNG)") }),
        expect.objectContaining({ ok: true, what: expect.stringContaining("图表") }),
      ]);
      const { store } = demo.emulator;
      const ops = demo.world.opsGroup.conversationId;
      const file = demo.world.fileApp;
      const fromBot = () =>
        store.messages.filter((m) => m.conversationId === ops && m.sender.id === file.robotCode);
      const picture = demoPicturePng();
      const { width, height } = DEMO_PICTURE_SIZE;
      await expect
        .poll(() => fromBot().map((m) => (m.body.text as { content?: string } | undefined)?.content))
        .toContain(`收到图片：image/png，${picture.byteLength} 字节，${width}×${height} 像素`);
      await expect.poll(() => fromBot().find((m) => m.via === "openapi")?.body.msgtype).toBe("image");
      const image = fromBot().find((m) => m.via === "openapi")!;
      expect(image.meta?.media).toEqual([
        expect.objectContaining({ kind: "picture", fileName: "chart.png", contentType: "image/png" }),
      ]);
      // The person's picture is recorded with its file too, for the page to draw.
      const sent = store.messages.find((m) => m.conversationId === ops && m.body.msgtype === "picture")!;
      expect(sent.sender.name).toBe("李四");
      expect(sent.meta?.media).toEqual([
        expect.objectContaining({ kind: "picture", fileName: "机房.png", size: picture.byteLength }),
      ]);
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
