import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutationsOf } from "../_mutations.js";
import { check } from "../validate.js";
import { readDownstreamFrame, readInboundMessage } from "./read-inbound.js";
import { InboundMessageSchema } from "./robot-message.js";
import { DownstreamFrameSchema } from "./stream-frame.js";

// Field values that are right for some fields and wrong for others, so every check is crossed both ways.
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom("", "1", "2", "text", "picture", "CALLBACK", "EVENT", "SYSTEM", "x"),
  fc.string(),
  fc.boolean(),
  fc.integer(),
  // JSON.parse("1e400") is Infinity, which the schema refuses.
  fc.constantFrom(Number.POSITIVE_INFINITY, -0, 1.5),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.record({ dingtalkId: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }), {
    maxLength: 2,
  }),
);

const textMessage = {
  msgtype: "text",
  text: { content: "hello", isReplyMsg: false },
  msgId: "msg1",
  createAt: 1_700_000_000_000,
  conversationType: "2",
  conversationId: "cid1==",
  senderId: "$:LWCP_v1:$abc",
  senderNick: "张三",
  senderStaffId: "user001",
  sessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=x",
  sessionWebhookExpiredTime: 1_700_005_400_000,
  isAdmin: true,
  isInAtList: true,
  atUsers: [{ dingtalkId: "$:LWCP_v1:$robot", staffId: "s" }],
  chatbotUserId: "$:LWCP_v1:$robot",
  robotCode: "dingabc",
};

const frame = {
  specVersion: "1.0",
  type: "CALLBACK",
  headers: { appId: "a", contentType: "application/json", messageId: "m1", time: "1", topic: "/t" },
  data: "{}",
};

describe("readInboundMessage", () => {
  it("answers exactly as the schema does, for any mutation of a text message", () => {
    fc.assert(
      fc.property(
        mutationsOf(textMessage, { text: ["content", "isReplyMsg", "repliedMsg"] }, anyValue),
        (message) => {
          expect(readInboundMessage(message)).toStrictEqual(check(InboundMessageSchema, message));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("takes the hand-written path for a plain text message, the schema for other kinds", () => {
    const fast = readInboundMessage(textMessage);
    expect(fast.ok && fast.value).toBe(textMessage);
    const quoted = { ...textMessage, text: { content: "hi", repliedMsg: { msgType: 1 } } };
    // The schema drops a quote it cannot read; the hand check leaves quotes to it.
    const read = readInboundMessage(quoted);
    expect(read).toMatchObject({ ok: true, value: { text: { content: "hi", repliedMsg: undefined } } });
    const picture = { ...textMessage, msgtype: "picture", content: { downloadCode: "d" } };
    expect(readInboundMessage(picture)).toStrictEqual(check(InboundMessageSchema, picture));
  });
});

describe("readDownstreamFrame", () => {
  it("answers exactly as the schema does, for any mutation of a frame", () => {
    fc.assert(
      fc.property(
        mutationsOf(
          frame,
          { headers: ["topic", "messageId", "contentType", "time", "appId", "connectionId"] },
          anyValue,
        ),
        (value) => {
          expect(readDownstreamFrame(value)).toStrictEqual(check(DownstreamFrameSchema, value));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("takes the hand-written path for a well-formed frame", () => {
    const read = readDownstreamFrame(frame);
    expect(read.ok && read.value).toBe(frame);
  });
});
