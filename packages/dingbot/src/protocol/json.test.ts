import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonDepth, MAX_JSON_DEPTH, nestedDeeperThan, parseJson } from "./json.js";

const nested = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("parseJson", () => {
  it("parses ordinary JSON", () => {
    expect(parseJson('{"a":[1,{"b":"c"}]}')).toEqual({ ok: true, value: { a: [1, { b: "c" }] } });
    expect(parseJson("42")).toEqual({ ok: true, value: 42 });
  });

  it("refuses a syntax error with a short reason", () => {
    expect(parseJson("{nope")).toMatchObject({ ok: false, reason: "syntax" });
  });

  it("accepts the cap and refuses one level more", () => {
    expect(parseJson(nested(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJson(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ ok: false, reason: "too-deep" });
    expect(parseJson(nested(6000))).toMatchObject({ ok: false, reason: "too-deep" });
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ s: `\\"${"[".repeat(500)}`, t: "{{{{" });
    expect(jsonDepth(text)).toBe(1);
    expect(parseJson(text).ok).toBe(true);
  });

  it("counts the depth of any value as JSON.stringify writes it", () => {
    const depthOf = (v: unknown): number =>
      typeof v === "object" && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        expect(jsonDepth(JSON.stringify(value))).toBe(depthOf(value));
      }),
    );
  });

  it("judges a parsed value's depth as the text scan does, at every limit", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, limit) => {
        expect(nestedDeeperThan(value, limit)).toBe(jsonDepth(JSON.stringify(value)) > limit);
      }),
    );
  });

  it("refuses a value 100,000 levels deep without exhausting the stack", () => {
    expect(parseJson(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`)).toMatchObject({
      ok: false,
      reason: "too-deep",
    });
  });
});
