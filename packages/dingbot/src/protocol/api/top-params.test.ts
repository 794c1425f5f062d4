import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../json.js";
import { check } from "../validate.js";
import { LiteralSyntaxError, parsePythonLiteral, parseStructuredParam } from "./top-params.js";
import { AsyncSendRequestSchema } from "./work-notification.js";

describe("parsePythonLiteral()", () => {
  it("reads the str() of a dict as urllib.parse.urlencode sends it", () => {
    expect(
      parsePythonLiteral("{'msgtype': 'text', 'text': {'content': 'This is a test message2!'}}"),
    ).toEqual({
      msgtype: "text",
      text: { content: "This is a test message2!" },
    });
  });

  it("reads True, False, None, numbers, tuples, escapes and trailing commas", () => {
    expect(
      parsePythonLiteral(
        `{'a': True, 'b': False, 'c': None, 'd': -1.5, 'e': (1, 2,), "f": 'it\\'s\\n', 'g': '\\u597d',}`,
      ),
    ).toEqual({
      a: true,
      b: false,
      c: null,
      d: -1.5,
      e: [1, 2],
      f: "it's\n",
      g: "好",
    });
  });

  it("reads Chinese text as Python 3 prints it (unescaped)", () => {
    expect(parsePythonLiteral("{'content': '报销已审批'}")).toEqual({ content: "报销已审批" });
  });

  it("refuses an escape beyond U+10FFFF with its own syntax error, not a RangeError", () => {
    expect(() => parsePythonLiteral("'\\U00110000'")).toThrow(LiteralSyntaxError);
    expect(() => parsePythonLiteral("'\\UFFFFFFFF'")).toThrow("bad escape at offset 1");
    expect(parsePythonLiteral("'\\U0010FFFF'")).toBe("\u{10FFFF}");
  });

  it("refuses nesting deeper than MAX_JSON_DEPTH with a syntax error, not a stack overflow", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(() => parsePythonLiteral(deep)).toThrow(/nested deeper than 64 levels/);
    const fine = `${"(".repeat(MAX_JSON_DEPTH)}${")".repeat(MAX_JSON_DEPTH)}`;
    expect(() => parsePythonLiteral(fine)).not.toThrow();
    // parseStructuredParam leaves a too-deep text as the string, for the schema to refuse.
    expect(parseStructuredParam(deep)).toBe(deep);
    expect(parseStructuredParam(`{'a': ${deep}}`)).toBe(`{'a': ${deep}}`);
  });

  it("rejects what is not a literal, saying where", () => {
    expect(() => parsePythonLiteral("{'a': }")).toThrow(/offset 6/);
    expect(() => parsePythonLiteral("{'a': 'open")).toThrow(/unterminated/);
    expect(() => parsePythonLiteral("{'a': 1} extra")).toThrow(/trailing/);
  });

  it("agrees with JSON.parse on every JSON value (JSON is a subset)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parsePythonLiteral(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseStructuredParam()", () => {
  it("leaves plain strings and non-strings alone", () => {
    expect(parseStructuredParam("manager1234")).toBe("manager1234");
    expect(parseStructuredParam({ a: 1 })).toEqual({ a: 1 });
    expect(parseStructuredParam("{not a literal")).toBe("{not a literal");
  });
});

describe("AsyncSendRequestSchema", () => {
  it("accepts a form-encoded send (strings everywhere, msg as a Python literal) and normalises it", () => {
    const result = check(AsyncSendRequestSchema, {
      agent_id: "123456789",
      userid_list: "manager1234",
      to_all_user: "false",
      msg: "{'msgtype': 'text', 'text': {'content': 'hi'}}",
    });
    expect(result).toEqual({
      ok: true,
      value: {
        agent_id: 123456789,
        userid_list: "manager1234",
        to_all_user: false,
        msg: { msgtype: "text", text: { content: "hi" } },
      },
    });
  });

  it("refuses unknown keys and misspelled msg fields", () => {
    expect(
      check(AsyncSendRequestSchema, {
        agent_id: 1,
        userid: "x",
        msg: { msgtype: "text", text: { content: "x" } },
      }).ok,
    ).toBe(false);
    expect(
      check(AsyncSendRequestSchema, { agent_id: 1, msg: { msgtype: "text", text: { contents: "x" } } }).ok,
    ).toBe(false);
  });
});

describe("parsePythonLiteral() with a __proto__ key", () => {
  it("keeps it as an own property, as JSON.parse does, instead of changing the prototype", () => {
    const parsed = parsePythonLiteral("{'__proto__': {'polluted': True}}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(parsed).toEqual(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect((parsed as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
