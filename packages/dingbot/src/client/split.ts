/**
 * Splits over-long text or markdown into chunks that each fit a byte budget, cutting only where a reader
 * would: after a blank line (paragraph), else after a line, never inside a fenced code block when the
 * block fits in one chunk, and never inside a multi-byte character or a surrogate pair.
 * Concatenating the chunks always gives back the input exactly.
 * @module
 */

/** Bytes one UTF-16 code unit costs; `next` is the following unit (for surrogate pairs). */
export type UnitCost = (unit: number, next: number) => number;

const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/** Cost of a code unit in UTF-8: a surrogate pair costs 4 bytes, counted on its high half. */
export const utf8Cost: UnitCost = (unit, next) => {
  if (unit < 0x80) return 1;
  if (unit < 0x800) return 2;
  if (isHigh(unit)) return isLow(next) ? 4 : 3;
  if (isLow(unit)) return 0; // counted with its high half (a lone one is rare; TextEncoder makes it 3 bytes)
  return 3;
};

const JSON_SHORT_ESCAPES = new Set([0x22, 0x5c, 0x08, 0x0c, 0x0a, 0x0d, 0x09]);

/** Cost of a code unit inside a JSON string literal (what a message body actually sends). */
export const jsonStringCost: UnitCost = (unit, next) => {
  if (JSON_SHORT_ESCAPES.has(unit)) return 2;
  if (unit < 0x20) return 6;
  if (isHigh(unit) && !isLow(next)) return 6; // JSON.stringify escapes a lone surrogate as \uXXXX
  return utf8Cost(unit, next);
};

/** Options of {@link splitText}. */
export interface SplitOptions {
  /** Largest chunk, in bytes as measured by `cost`. */
  maxBytes: number;
  /** How to count bytes (default UTF-8; {@link jsonStringCost} for bodies). */
  cost?: UnitCost;
}

/** Byte offset of every code-unit position: prefix[i] = cost of text.slice(0, i). */
function prefixCosts(text: string, cost: UnitCost): Float64Array {
  const prefix = new Float64Array(text.length + 1);
  for (let i = 0; i < text.length; i += 1) {
    prefix[i + 1] = prefix[i]! + cost(text.charCodeAt(i), text.charCodeAt(i + 1));
  }
  return prefix;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** A cut position's quality: 2 after a blank line (paragraph), 1 after any line, 0 mid-line or inside a fence. */
function boundaryRanks(text: string): Uint8Array {
  const ranks = new Uint8Array(text.length + 1);
  let fence: string | undefined;
  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? text.length : newline + 1;
    const line = text.slice(lineStart, newline === -1 ? text.length : newline);
    const marker = FENCE.exec(line)?.[1];
    let insideAfter: boolean;
    if (fence === undefined) {
      if (marker !== undefined) fence = marker;
      insideAfter = fence !== undefined;
    } else {
      // A closing fence uses the same character, at least as many, and nothing after but spaces.
      if (
        marker !== undefined &&
        marker[0] === fence[0] &&
        marker.length >= fence.length &&
        line.trim() === marker
      ) {
        fence = undefined;
      }
      insideAfter = fence !== undefined;
    }
    if (newline !== -1 && lineEnd < text.length) {
      ranks[lineEnd] = insideAfter ? 0 : line.trim() === "" ? 2 : 1;
    }
    lineStart = lineEnd;
  }
  return ranks;
}

/** Largest i in (lo, hi] with prefix[i] - prefix[start] ≤ budget (prefix is non-decreasing). */
function furthestWithin(prefix: Float64Array, start: number, budget: number): number {
  let lo = start;
  let hi = prefix.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (prefix[mid]! - prefix[start]! <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Splits text into chunks of at most `maxBytes`, preferring paragraph, then line boundaries.
 * A fenced code block is only cut when it alone is larger than a chunk (then at its line boundaries).
 * @param text - the text or markdown
 * @param options - byte budget and how to count bytes
 * @returns the chunks, in order; `chunks.join("") === text`
 * @throws RangeError when `maxBytes` cannot hold even one character
 * @example
 * splitText("para one\n\npara two", { maxBytes: 12 }) // ["para one\n\n", "para two"]
 */
export function splitText(text: string, options: SplitOptions): string[] {
  const cost = options.cost ?? utf8Cost;
  const prefix = prefixCosts(text, cost);
  if (prefix[text.length]! <= options.maxBytes) return [text];
  const ranks = boundaryRanks(text);
  const chunks: string[] = [];
  let start = 0;
  while (prefix[text.length]! - prefix[start]! > options.maxBytes) {
    const limit = furthestWithin(prefix, start, options.maxBytes);
    let cut = -1;
    for (const wanted of [2, 1]) {
      for (let i = limit; i > start && cut === -1; i -= 1) if (ranks[i] === wanted) cut = i;
      if (cut !== -1) break;
    }
    if (cut === -1) cut = lineInsideFence(text, start, limit);
    if (cut === -1) cut = codePointCut(text, limit);
    if (cut <= start) {
      throw new RangeError(`maxBytes ${options.maxBytes} cannot hold the character at offset ${start}`);
    }
    chunks.push(text.slice(start, cut));
    start = cut;
  }
  chunks.push(text.slice(start));
  return chunks;
}

/** Last line boundary in (start, limit]: used only when a fenced block is larger than one chunk. */
function lineInsideFence(text: string, start: number, limit: number): number {
  const newline = text.lastIndexOf("\n", limit - 1);
  return newline >= start && newline + 1 > start ? newline + 1 : -1;
}

/** The cut at `limit`, moved back one unit if it would split a surrogate pair. */
function codePointCut(text: string, limit: number): number {
  let cut = limit;
  if (cut < text.length && isLow(text.charCodeAt(cut)) && isHigh(text.charCodeAt(cut - 1))) cut -= 1;
  return cut;
}
