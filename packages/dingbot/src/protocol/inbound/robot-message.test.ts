import { describe, expect, it } from "vitest";
import { check } from "../validate.js";
import { mediaParts, messageText, quotedMessage, richTextParts } from "./message-parts.js";
import { type InboundMessage, InboundMessageSchema, parseChatRecord } from "./robot-message.js";

const base = {
  msgId: "msgA==",
  conversationType: "2",
  conversationId: "cidG==",
  senderId: "$:LWCP_v1:$s",
  senderStaffId: "u1",
  robotCode: "dingrobot",
  sessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=s",
};

function parse(body: Record<string, unknown>): InboundMessage {
  const result = check(InboundMessageSchema, { ...base, ...body });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe("inbound message kinds (protocol section 7.1)", () => {
  it("reads a quoted text reply", () => {
    const m = parse({
      msgtype: "text",
      text: {
        content: " 这个呢",
        isReplyMsg: true,
        repliedMsg: {
          msgType: "text",
          msgId: "msgQ",
          senderId: "$:s",
          createdAt: 1,
          content: { text: "原文" },
        },
      },
    });
    expect(messageText(m)).toBe("这个呢");
    expect(quotedMessage(m)?.content?.text).toBe("原文");
  });

  it("keeps a text whose quote is unreadable, without the quote", () => {
    const m = parse({ msgtype: "text", text: { content: "hi", isReplyMsg: true, repliedMsg: "garbage" } });
    expect(messageText(m)).toBe("hi");
    expect(quotedMessage(m)).toBeUndefined();
  });

  it("types rich-text parts: text, picture, at", () => {
    const m = parse({
      msgtype: "richText",
      content: {
        richText: [
          { text: "看 " },
          { type: "picture", downloadCode: "dc1", pictureDownloadCode: "pdc1" },
          { type: "at", atName: "张三", atUserId: "u2" },
          { text: "这张" },
          { type: "sticker", id: 1 },
        ],
      },
    });
    expect(richTextParts(m).map((p) => p.kind)).toEqual(["text", "picture", "at", "text", "other"]);
    expect(messageText(m)).toBe("看 这张");
    expect(mediaParts(m)).toEqual([{ kind: "picture", downloadCode: "dc1" }]);
  });

  it("delivers a rich text with no parts, typed as empty", () => {
    const m = parse({ msgtype: "richText", content: {} });
    expect(m.msgtype === "richText" && m.content.richText).toEqual([]);
    expect(richTextParts(m)).toEqual([]);
    expect(messageText(m)).toBe("");
    expect(parse({ msgtype: "richText" }).msgtype).toBe("richText");
  });

  it("reads picture, audio (recognition as text), video and file", () => {
    const picture = parse({ msgtype: "picture", content: { downloadCode: "p", pictureDownloadCode: "pp" } });
    expect(mediaParts(picture)).toEqual([{ kind: "picture", downloadCode: "p" }]);
    expect(messageText(picture)).toBeUndefined();
    const audio = parse({
      msgtype: "audio",
      content: { downloadCode: "a", recognition: " 你好 ", duration: 3 },
    });
    expect(messageText(audio)).toBe("你好");
    expect(mediaParts(audio)).toEqual([{ kind: "audio", downloadCode: "a", duration: 3 }]);
    const video = parse({
      msgtype: "video",
      content: { downloadCode: "v", duration: "5", videoType: "mp4" },
    });
    expect(mediaParts(video)[0]).toMatchObject({ kind: "video", videoType: "mp4" });
    const file = parse({
      msgtype: "file",
      content: { downloadCode: "f", fileName: "a.zip", spaceId: "223", fileId: "117" },
    });
    expect(mediaParts(file)).toEqual([{ kind: "file", downloadCode: "f", fileName: "a.zip" }]);
    expect(file.msgtype === "file" && file.content.spaceId).toBe("223");
  });

  it("reads markdown and interactiveCard", () => {
    expect(messageText(parse({ msgtype: "markdown", content: { text: "**b**" } }))).toBe("**b**");
    const card = parse({ msgtype: "interactiveCard", content: { biz_custom_action_url: "dingtalk://x" } });
    expect(card.msgtype === "interactiveCard" && card.content.biz_custom_action_url).toBe("dingtalk://x");
  });

  it("parses a chat record's JSON string, and says why when it cannot", () => {
    const ok = parse({
      msgtype: "chatRecord",
      content: {
        summary: "聊天记录",
        chatRecord: JSON.stringify([{ senderNick: "A", msgType: "text", content: "x" }]),
      },
    });
    expect(ok.msgtype === "chatRecord" && ok.content.records).toEqual({
      ok: true,
      entries: [{ senderNick: "A", msgType: "text", content: "x" }],
    });
    expect(messageText(ok)).toBe("聊天记录");
    const bad = parse({ msgtype: "chatRecord", content: { chatRecord: "{not json" } });
    expect(bad.msgtype === "chatRecord" && bad.content.records).toEqual({ ok: false, reason: "not-json" });
    expect(parseChatRecord('{"a":1}')).toEqual({ ok: false, reason: "not-a-list" });
    expect(parseChatRecord(undefined)).toEqual({ ok: false, reason: "missing" });
    expect(parseChatRecord("[".repeat(100) + "]".repeat(100))).toEqual({ ok: false, reason: "not-json" });
  });

  it("delivers any other msgtype as `unknown`, keeping the raw body", () => {
    const m = parse({ msgtype: "location", content: { latitude: 30.2, text: "西湖" }, extra: 1 });
    expect(m.msgtype).toBe("unknown");
    if (m.msgtype !== "unknown") throw new Error("narrowing");
    expect(m.originalMsgtype).toBe("location");
    expect(m.content).toEqual({ latitude: 30.2, text: "西湖" });
    expect((m as Record<string, unknown>).extra).toBe(1);
    expect(messageText(m)).toBe("西湖");
    expect(mediaParts(m)).toEqual([]);
  });

  it("still refuses a known msgtype without its required fields, and a body that is not a message", () => {
    expect(check(InboundMessageSchema, { ...base, msgtype: "picture", content: {} }).ok).toBe(false);
    expect(check(InboundMessageSchema, { ...base, msgtype: "location", msgId: undefined }).ok).toBe(false);
    expect(check(InboundMessageSchema, "text").ok).toBe(false);
    expect(check(InboundMessageSchema, { ...base }).ok).toBe(false);
  });
});
