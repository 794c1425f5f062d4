import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readQueryParams } from "./query-params.js";

// Characters that matter to the form parser, escapes valid and not, and the names a route asks for.
const piece = fc.oneof(
  fc.constantFrom(
    "&",
    "=",
    "+",
    "%",
    "%2B",
    "%2F",
    "%3D",
    "%26",
    "%zz",
    "%e4%bd%a0",
    "%ED%A0%80",
    "%C3",
    "%41",
  ),
  fc.constantFrom("access_token", "timestamp", "sign", "access%5Ftoken", "a", "b"),
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~!$'()*,;:@/?"), maxLength: 4 }),
);
const query = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));
const names = ["access_token", "timestamp", "sign", "a", "b", "", "a b", "+", "&", "=", "%"];

describe("readQueryParams", () => {
  it("reads every parameter as a URL's searchParams does", () => {
    fc.assert(
      fc.property(query, (text) => {
        const read = readQueryParams(text);
        // What the Hono route reads; unlike `new URLSearchParams(text)` it keeps a leading '?' in a name.
        const expected = new URL(`http://127.0.0.1/robot/send?${text}`).searchParams;
        for (const name of names) expect(read.get(name)).toBe(expected.get(name));
      }),
      { numRuns: 5000 },
    );
  });

  it("reads a signed robot's query", () => {
    const read = readQueryParams("access_token=t&timestamp=1700000000000&sign=ab%2Bc%2F%3D&sign=x");
    expect([read.get("access_token"), read.get("timestamp"), read.get("sign")]).toEqual([
      "t",
      "1700000000000",
      "ab+c/=",
    ]);
    expect(read.get("missing")).toBeNull();
  });
});
