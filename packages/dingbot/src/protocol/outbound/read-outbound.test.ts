import fc from "fast-check";
import { describe, expect, it } from "vitest";
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

/** Every key of `base`, each replaced by any value (or removed), plus one extra key. */
function mutations<T extends Record<string, unknown>>(base: T, nested: Record<string, string[]>) {
  const keys = [...Object.keys(base), ...Object.values(nested).flat(), "extra", "msgUuid"];
  return fc.dictionary(fc.constantFrom(...keys), anyValue, { maxKeys: 4 }).map((changes) => {
    const value: Record<string, unknown> = structuredClone(base);
    for (const [key, replacement] of Object.entries(changes)) {
      const parent = Object.entries(nested).find(([, inner]) => inner.includes(key))?.[0];
      const inner = parent === undefined ? undefined : value[parent];
      // Only into an object: JSON has no arrays with named keys.
      const target = typeof inner === "object" && inner !== null && !Array.isArray(inner) ? inner : value;
      if (replacement === undefined) delete (target as Record<string, unknown>)[key];
      else (target as Record<string, unknown>)[key] = replacement;
    }
    // As JSON.parse makes them: fast-check's records have no prototype.
    return structuredClone(value);
  });
}

describe("readRobotMessageBody", () => {
  it("answers exactly as the schema does, for any mutation of a text message", () => {
    fc.assert(
      fc.property(mutations(textBody, { text: ["content"], at: AT_KEYS }), (body) => {
        expect(readRobotMessageBody(body)).toStrictEqual(check(RobotMessageBodySchema, body));
      }),
      { numRuns: 3000 },
    );
  });

  it("answers exactly as the schema does, for any mutation of a markdown message", () => {
    fc.assert(
      fc.property(mutations(markdownBody, { markdown: ["title", "text"], at: AT_KEYS }), (body) => {
        expect(readRobotMessageBody(body)).toStrictEqual(check(RobotMessageBodySchema, body));
      }),
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
