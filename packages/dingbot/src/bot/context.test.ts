import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import { groupText, recordingResponder, T0, updateOf } from "./_fixtures.js";
import { Bot } from "./bot.js";
import type { Context } from "./context.js";

/** Runs one message through a bot whose only middleware records the context. */
async function contextOf(message: InboundMessage): Promise<Context> {
  const bot = new Bot({ now: () => T0, robotCode: "fallbackCode" });
  let captured: Context | undefined;
  bot.use((ctx) => {
    captured = ctx;
  });
  await bot.handleUpdate(updateOf(message), recordingResponder());
  if (!captured) throw new Error("middleware did not run");
  return captured;
}

/** Runs one message through a bot and returns what was answered inline. */
async function inlineAnswer(message: InboundMessage, handler: (ctx: Context) => unknown): Promise<unknown> {
  const bot = new Bot({ now: () => T0 });
  bot.use(handler);
  const responder = recordingResponder();
  await bot.handleUpdate(updateOf(message), responder);
  return responder.inline[0];
}

describe("Context", () => {
  describe("getters", () => {
    it("exposes seed 001's fields with camel-cased names", async () => {
      const ctx = await contextOf(groupText("你好"));
      expect({
        conversationId: ctx.conversationId,
        conversationType: ctx.conversationType,
        isGroup: ctx.isGroup,
        isPrivate: ctx.isPrivate,
        conversationTitle: ctx.conversationTitle,
        senderStaffId: ctx.senderStaffId,
        senderNick: ctx.senderNick,
        senderId: ctx.senderId,
        atUsers: ctx.atUsers,
        isInAtList: ctx.isInAtList,
        chatbotUserId: ctx.chatbotUserId,
        robotCode: ctx.robotCode,
        msgtype: ctx.msgtype,
      }).toEqual({
        conversationId: "cidAsXSBLnA==",
        conversationType: "2",
        isGroup: true,
        isPrivate: false,
        conversationTitle: "機器人測試-TEST",
        senderStaffId: "user123",
        senderNick: "楊xx",
        senderId: "$:LWCP_v1:$Ff09GIxxxxx",
        atUsers: [{ dingtalkId: "$:LWCP_v1:$4xTgHFUDZ8Qi8qr3" }],
        isInAtList: true,
        chatbotUserId: "$:LWCP_v1:$4xTgHFUDZ8Qi8qr3",
        robotCode: "dingxxxxr3xc0b",
        msgtype: "text",
      });
      expect(ctx.msgId).toMatch(/^msgFixture/);
    });

    it("trims the space DingTalk leaves where the @-mention was", async () => {
      expect((await contextOf(groupText("markdown"))).text).toBe("markdown");
      expect((await contextOf(groupText("a b  "))).text).toBe("a b");
    });

    it("falls back to the configured robotCode and to empty mentions", async () => {
      const ctx = await contextOf(
        groupText("x", { robotCode: undefined, atUsers: undefined, isInAtList: undefined }),
      );
      expect([ctx.robotCode, ctx.atUsers, ctx.isInAtList]).toEqual(["fallbackCode", [], false]);
    });

    it("joins the text parts of a rich-text message", async () => {
      const ctx = await contextOf(
        groupText("", {
          msgtype: "richText",
          text: undefined,
          content: {
            richText: [{ text: " 看" }, { type: "picture", downloadCode: "d" }, { text: "这张图 " }],
          },
        }),
      );
      expect(ctx.text).toBe("看这张图");
    });

    it.each([
      ["picture", { downloadCode: "d", pictureDownloadCode: "p" }],
      ["video", { downloadCode: "d", duration: "5", videoType: "mp4" }],
      ["file", { downloadCode: "d", fileName: "foobar.zip", spaceId: "1", fileId: "2" }],
      ["unknownMsgType", { unknownMsgType: "用户发送了一条消息，机器人暂不支持接收。" }],
    ])("reaches a %s message's content, with no text", async (msgtype, content) => {
      const ctx = await contextOf(groupText("", { msgtype, text: undefined, content }));
      expect(ctx.message).toMatchObject({ msgtype, content });
      expect(ctx.text).toBeUndefined();
    });

    it("gives a voice note's recognition as its text (issue 14)", async () => {
      const content = { downloadCode: "d", recognition: " 语音转文字结果 " };
      const ctx = await contextOf(groupText("", { msgtype: "audio", text: undefined, content }));
      expect(ctx.text).toBe("语音转文字结果");
      expect(ctx.media).toEqual([{ kind: "audio", downloadCode: "d" }]);
    });
  });

  describe("reply helpers", () => {
    it("replyText with at: true mentions the sender by staffId", async () => {
      expect(
        await inlineAnswer(groupText("text"), (ctx) =>
          ctx.replyText("你剛剛發的消息是:[text]", { at: true }),
        ),
      ).toEqual({
        msgtype: "text",
        text: { content: "你剛剛發的消息是:[text]\n@user123" },
        at: { atUserIds: ["user123"], isAtAll: false },
      });
    });

    it("replyText without a staffId replies without a mention", async () => {
      const body = await inlineAnswer(groupText("text", { senderStaffId: undefined }), (ctx) =>
        ctx.replyText("hi", { at: true }),
      );
      expect(body).toEqual({ msgtype: "text", text: { content: "hi" } });
    });

    it("replyMarkdown builds a markdown body", async () => {
      expect(await inlineAnswer(groupText("m"), (ctx) => ctx.replyMarkdown("T", "## x"))).toEqual({
        msgtype: "markdown",
        markdown: { title: "T", text: "## x" },
      });
    });

    it("replyActionCard builds a whole-card link", async () => {
      const card = { title: "T", text: "x", singleTitle: "閱讀全文", singleURL: "http://mrdoc.zmister.com" };
      expect(await inlineAnswer(groupText("c"), (ctx) => ctx.replyActionCard(card))).toEqual({
        msgtype: "actionCard",
        actionCard: card,
      });
    });

    it("replyButtons builds independent buttons, horizontal on request", async () => {
      const buttons = [
        { title: "去看看", actionURL: "http://a" },
        { title: "不感興趣", actionURL: "http://b" },
      ];
      expect(
        await inlineAnswer(groupText("c"), (ctx) =>
          ctx.replyButtons({ title: "T", text: "x", buttons, horizontal: true }),
        ),
      ).toEqual({
        msgtype: "actionCard",
        actionCard: { title: "T", text: "x", btns: buttons, btnOrientation: "1" },
      });
    });

    it("replyFeedCard builds a feed card", async () => {
      const links = [{ title: "a", messageURL: "http://a", picURL: "http://p" }];
      expect(await inlineAnswer(groupText("f"), (ctx) => ctx.replyFeedCard(links))).toEqual({
        msgtype: "feedCard",
        feedCard: { links },
      });
    });

    it("refuses an empty text or markdown before sending", async () => {
      const errors: string[] = [];
      await inlineAnswer(groupText("x"), async (ctx) => {
        await ctx.replyText("").catch((e: Error) => errors.push(e.name));
        await ctx.replyMarkdown("", "x").catch((e: Error) => errors.push(e.name));
      });
      expect(errors).toEqual(["ValidationError", "ValidationError"]);
    });

    it("noReply answers {msgtype: empty}", async () => {
      expect(await inlineAnswer(groupText("x"), (ctx) => ctx.noReply())).toEqual({ msgtype: "empty" });
    });
  });
});
