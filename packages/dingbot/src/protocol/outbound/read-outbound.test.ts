import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutationsOf } from "../_mutations.js";
import { check } from "../validate.js";
import { RobotMessageBodySchema } from "./messages.js";
import { readRobotMessageBody } from "./read-outbound.js";

// Field values that are right for some fields and wrong for others, so every check is crossed both ways.
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom("", "a", "text", "markdown", "link", "13800000000"),
  fc.string(),
  fc.boolean(),
  fc.integer(),
  fc.constant([]),
  fc.constant({}),
  fc.constant({ content: "x" }),
  fc.array(fc.oneof(fc.string(), fc.constant(""), fc.integer()), { maxLength: 3 }),
  fc.record(
    { atMobiles: fc.array(fc.string(), { maxLength: 2 }), isAtAll: fc.oneof(fc.boolean(), fc.integer()) },
    { requiredKeys: [] },
  ),
);

const textBody = {
  msgtype: "text",
  text: { content: "构建完成 build #1234 passed" },
  at: { atMobiles: ["13800000000"], atUserIds: ["user001"], isAtAll: false },
};
const markdownBody = {
  msgtype: "markdown",
  markdown: { title: "告警", text: "## 告警\n磁盘 95%" },
  at: { isAtAll: true },
};
const AT_KEYS = ["atMobiles", "atUserIds", "isAtAll"];

describe("readRobotMessageBody", () => {
  it("answers exactly as the schema does, for any mutation of a text message", () => {
    fc.assert(
      fc.property(
        mutationsOf(textBody, { text: ["content"], at: AT_KEYS }, anyValue, ["extra", "msgUuid"]),
        (body) => {
          expect(readRobotMessageBody(body)).toStrictEqual(check(RobotMessageBodySchema, body));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("answers exactly as the schema does, for any mutation of a markdown message", () => {
    fc.assert(
      fc.property(
        mutationsOf(markdownBody, { markdown: ["title", "text"], at: AT_KEYS }, anyValue, [
          "extra",
          "msgUuid",
        ]),
        (body) => {
          expect(readRobotMessageBody(body)).toStrictEqual(check(RobotMessageBodySchema, body));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("answers exactly as the schema does for the other kinds and for non-objects", () => {
    const others: unknown[] = [
      { msgtype: "link", link: { title: "t", text: "x", messageUrl: "https://x" } },
      { msgtype: "actionCard", actionCard: { title: "t", text: "x" } },
      { msgtype: "feedCard", feedCard: { links: [] } },
      { msgtype: "text", text: { content: "a" }, at: undefined },
      { msgtype: "text", text: { content: "a" }, at: { atMobiles: undefined } },
      null,
      [],
      "text",
    ];
    for (const body of others) {
      expect(readRobotMessageBody(body)).toStrictEqual(check(RobotMessageBodySchema, body));
    }
  });

  it("keeps only the schema's keys and copies the mention lists", () => {
    const body = { ...structuredClone(textBody), msgUuid: "u1" };
    const read = readRobotMessageBody(body);
    expect(read).toStrictEqual({ ok: true, value: structuredClone(textBody) });
    if (read.ok && read.value.msgtype === "text")
      expect(read.value.at?.atMobiles).not.toBe(body.at.atMobiles);
  });
});
