import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonStringCost, splitText, utf8Cost } from "./split.js";

const bytes = (text: string): number => Buffer.byteLength(text, "utf8");
const jsonBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text), "utf8") - 2;

/** One generated document: its text, and where its fenced blocks are (computed while generating). */
interface Doc {
  text: string;
  fences: Array<{ start: number; end: number }>;
}

// Words without newlines or backticks, mixing ASCII, CJK, and astral-plane emoji (surrogate pairs).
const word = fc
  .array(fc.constantFrom("a", "b", " ", "告", "警", "é", "😀", "🚀", "#", "*", ">", '"', "\\"), {
    minLength: 1,
    maxLength: 12,
  })
  .map((chars) => chars.join(""));
const line = fc.array(word, { minLength: 1, maxLength: 6 }).map((words) => words.join(" "));
const paragraph = fc.array(line, { minLength: 1, maxLength: 4 }).map((lines) => `${lines.join("\n")}\n`);
const fence = fc
  .tuple(
    fc.constantFrom("```", "~~~", "````"),
    fc.constantFrom("", "ts", "python"),
    fc.array(line, { maxLength: 5 }),
  )
  .map(([marker, lang, lines]) => `${marker}${lang}\n${lines.map((l) => `${l}\n`).join("")}${marker}\n`);
const block = fc.oneof(
  paragraph.map((text) => ({ text, fence: false })),
  fence.map((text) => ({ text, fence: true })),
  fc.constant({ text: "\n", fence: false }),
);
const doc: fc.Arbitrary<Doc> = fc.array(block, { minLength: 1, maxLength: 20 }).map((blocks) => {
  let text = "";
  const fences: Doc["fences"] = [];
  for (const b of blocks) {
    if (b.fence) fences.push({ start: text.length, end: text.length + b.text.length });
    text += b.text;
  }
  return { text, fences };
});

/** Start offsets of every chunk but the first. */
function cuts(chunks: string[]): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const chunk of chunks.slice(0, -1)) {
    offset += chunk.length;
    out.push(offset);
  }
  return out;
}

describe("splitText()", () => {
  it("returns short text unchanged as one chunk", () => {
    expect(splitText("hello", { maxBytes: 5 })).toEqual(["hello"]);
  });

  it("prefers a paragraph boundary to a later line boundary", () => {
    const text = "para one\n\nline a\nline b\nline c";
    const chunks = splitText(text, { maxBytes: 24 });
    expect(chunks[0]).toBe("para one\n\n");
    expect(chunks.join("")).toBe(text);
  });

  it("falls back to line boundaries, then to character boundaries", () => {
    expect(splitText("aaaa\nbbbb\ncccc", { maxBytes: 10 })).toEqual(["aaaa\nbbbb\n", "cccc"]);
    expect(splitText("告警告警告", { maxBytes: 7 })).toEqual(["告警", "告警", "告"]);
  });

  it("never cuts a surrogate pair", () => {
    expect(splitText("a😀😀", { maxBytes: 4 })).toEqual(["a", "😀", "😀"]);
    expect(splitText("a😀😀", { maxBytes: 6 })).toEqual(["a😀", "😀"]);
  });

  it("keeps a fenced block whole when it fits in a chunk", () => {
    const text = "intro line\n```\ncode 1\ncode 2\n```\nafter";
    // Cutting after "code 1" would fit more into the first chunk, but it is inside the fence.
    expect(splitText(text, { maxBytes: 30 })).toEqual(["intro line\n", "```\ncode 1\ncode 2\n```\nafter"]);
  });

  it("cuts an oversized fenced block at its line boundaries", () => {
    const text = "```\nline 1\nline 2\nline 3\n```\n";
    const chunks = splitText(text, { maxBytes: 12 });
    expect(chunks.join("")).toBe(text);
    for (const chunk of chunks) expect(bytes(chunk)).toBeLessThanOrEqual(12);
    expect(chunks[0]).toBe("```\nline 1\n");
  });

  it("counts JSON escapes when asked to", () => {
    const text = 'a"b\nc'.repeat(4);
    const chunks = splitText(text, { maxBytes: 10, cost: jsonStringCost });
    for (const chunk of chunks) expect(jsonBytes(chunk)).toBeLessThanOrEqual(10);
    expect(chunks.join("")).toBe(text);
  });

  it("throws when the budget cannot hold one character", () => {
    expect(() => splitText("😀😀", { maxBytes: 3 })).toThrow(RangeError);
  });

  it("property: chunks concatenate to the input, fit the budget, and never cut a fence or a surrogate pair", () => {
    fc.assert(
      fc.property(doc, fc.integer({ min: 8, max: 400 }), fc.boolean(), ({ text, fences }, maxBytes, json) => {
        const cost = json ? jsonStringCost : utf8Cost;
        const measure = json ? jsonBytes : bytes;
        const chunks = splitText(text, { maxBytes, cost });
        expect(chunks.join("")).toBe(text);
        for (const chunk of chunks) expect(measure(chunk)).toBeLessThanOrEqual(maxBytes);
        for (const cut of cuts(chunks)) {
          const code = text.charCodeAt(cut);
          expect(code >= 0xdc00 && code <= 0xdfff).toBe(false);
          for (const f of fences) {
            // A cut strictly inside a fence is allowed only when the fence cannot fit in one chunk.
            if (cut > f.start && cut < f.end)
              expect(measure(text.slice(f.start, f.end))).toBeGreaterThan(maxBytes);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it("property: every chunk is as a reader would cut it when lines are short", () => {
    fc.assert(
      fc.property(doc, ({ text }) => {
        const chunks = splitText(text, { maxBytes: 2000 });
        expect(chunks.join("")).toBe(text);
        // With a budget larger than any line, every chunk but the last ends at a line boundary.
        for (const chunk of chunks.slice(0, -1)) expect(chunk.endsWith("\n")).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
