import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MediaServer, startMediaServer } from "../client/_media-server.js";
import { AppClient } from "../client/app-client.js";
import { MediaError, ValidationError } from "../errors.js";
import { groupText, recordingResponder, T0, updateOf } from "./_fixtures.js";
import { Bot } from "./bot.js";
import type { Context } from "./context.js";
import { hasMedia, isQuotedReply } from "./filters.js";

let server: MediaServer;
beforeEach(async () => {
  server = await startMediaServer();
});
afterEach(async () => {
  await server.close();
});

const picture = (overrides: Record<string, unknown> = {}) =>
  groupText("", {
    msgtype: "picture",
    text: undefined,
    content: { downloadCode: "pic1", pictureDownloadCode: "p" },
    ...overrides,
  });

/** A bot with credentials pointed at the fake, running one handler on one message; rethrows its error. */
async function run(message: ReturnType<typeof groupText>, handler: (ctx: Context) => Promise<unknown>) {
  const bot = new Bot({
    appKey: "dingapp",
    appSecret: "app-secret-0123456789",
    baseUrl: server.base,
    now: () => T0,
  });
  let failure: unknown;
  bot.use(async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      failure = error;
    }
  });
  await bot.handleUpdate(updateOf(message), recordingResponder());
  if (failure) throw failure;
}

describe("ctx.download", () => {
  it("downloads the message's picture with the message's robotCode", async () => {
    server.files.set("pic1", { kind: "whole", bytes: new Uint8Array([1, 2, 3]), contentType: "image/png" });
    let got: Uint8Array | undefined;
    await run(picture(), async (ctx) => {
      expect(hasMedia(ctx)).toBe(true);
      got = (await ctx.download()).data;
    });
    expect(got).toEqual(new Uint8Array([1, 2, 3]));
    expect(server.downloadCalls).toEqual([{ downloadCode: "pic1", robotCode: "dingxxxxr3xc0b" }]);
  });

  it("downloads a chosen rich-text picture, and gives a typed error for an expired code", async () => {
    server.files.set("second", { kind: "whole", bytes: new Uint8Array([9]) });
    const message = groupText("", {
      msgtype: "richText",
      text: undefined,
      content: {
        richText: [
          { text: "两张" },
          { type: "picture", downloadCode: "gone" },
          { type: "picture", downloadCode: "second" },
        ],
      },
    });
    await run(message, async (ctx) => {
      expect(ctx.media.map((p) => p.downloadCode)).toEqual(["gone", "second"]);
      expect((await ctx.download(ctx.media[1])).data).toEqual(new Uint8Array([9]));
      await expect(ctx.download()).rejects.toBeInstanceOf(MediaError);
    });
  });

  it("refuses a message without a file, and a bot without credentials", async () => {
    await run(groupText("hi"), async (ctx) => {
      expect(hasMedia(ctx)).toBe(false);
      await expect(ctx.download()).rejects.toBeInstanceOf(ValidationError);
    });
    const bot = new Bot({ now: () => T0 });
    let error: unknown;
    bot.use(async (ctx) => {
      error = await ctx.download().catch((e: unknown) => e);
    });
    await bot.handleUpdate(updateOf(picture()), recordingResponder());
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain("appKey");
  });
});

describe("media replies", () => {
  it("replies with a file into the group through groupMessages/send, with the keys to recall it", async () => {
    let result: unknown;
    await run(groupText("report"), async (ctx) => {
      result = await ctx.replyFile(new Uint8Array(10), { fileName: "r.pdf" });
    });
    expect(result).toEqual({ via: "api", processQueryKeys: ["pqk-group"] });
    expect(server.sends[0]).toMatchObject({
      path: "/v1.0/robot/groupMessages/send",
      body: { robotCode: "dingxxxxr3xc0b", openConversationId: "cidAsXSBLnA==", msgKey: "sampleFile" },
    });
  });

  it("replies 1:1 to the sender by staffId; refuses a sender without one", async () => {
    await run(groupText("x", { conversationType: "1" }), (ctx) =>
      ctx.replyImage("https://example.com/cat.png"),
    );
    expect(server.sends[0]).toMatchObject({
      path: "/v1.0/robot/oToMessages/batchSend",
      body: { userIds: ["user123"], msgKey: "sampleImageMsg" },
    });
    await run(groupText("x", { conversationType: "1", senderStaffId: undefined }), async (ctx) => {
      await expect(ctx.replyAudio(new Uint8Array(5), { durationMs: 1000 })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
    expect(server.uploads).toEqual([]);
  });

  it("uses a shared media API given as an option", async () => {
    const client = new AppClient({ appKey: "other", appSecret: "s3cret-0123456789", baseUrl: server.base });
    const bot = new Bot({ media: client.media, now: () => T0 });
    bot.use((ctx) => ctx.replyImage(new Uint8Array(4), { fileName: "a.png" }));
    await bot.handleUpdate(updateOf(groupText("x", { robotCode: undefined })), recordingResponder());
    expect(server.uploads).toHaveLength(1);
    expect(server.sends[0]?.body.robotCode).toBe("other");
  });
});

describe("quoted replies", () => {
  it("exposes the quoted message as ctx.quoted", async () => {
    const message = groupText("", {
      text: {
        content: " 同意",
        isReplyMsg: true,
        repliedMsg: { msgType: "text", content: { text: "发布吗?" } },
      },
    });
    await run(message, async (ctx) => {
      expect(isQuotedReply(ctx)).toBe(true);
      expect(ctx.text).toBe("同意");
      expect(ctx.quoted?.content?.text).toBe("发布吗?");
    });
  });
});
