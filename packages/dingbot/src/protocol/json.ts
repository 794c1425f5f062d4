/**
 * JSON parsing with a nesting cap, for every body that arrives from the network. `JSON.parse` itself copes
 * with deep nesting, but the recursive code that meets the value later (`JSON.stringify` in a store, a
 * schema check, a renderer) overflows the stack: a 12 KB body nested 6,000 deep once disabled a whole batch
 * of relay webhooks. Refusing it at the door keeps that failure to the one bad request.
 * @module
 */

/** The deepest nesting of objects and arrays a body may have unless told otherwise. */
export const MAX_JSON_DEPTH = 64;

/** Why {@link parseJson} refused a text. */
export type JsonRefusal = "syntax" | "too-deep";

/** What {@link parseJson} returns: the value, or why there is none. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: JsonRefusal; message: string };

/**
 * The nesting depth of a JSON text (0 for a scalar), counted without parsing: brackets inside strings are
 * skipped. Stops counting once `limit` is passed, so a hostile text costs one linear scan at most.
 * @param text - the JSON text (need not be valid)
 * @param limit - the depth past which counting stops
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

/**
 * Whether a parsed value is nested deeper than `limit` (a scalar is depth 0). Walks the value, not the
 * text: a message has a few dozen nodes but hundreds of characters, so this costs about a twentieth of
 * scanning the text (2.5 µs per Stream frame, measured in issue 15). The recursion stops at `limit + 1`
 * levels, so a hostile value cannot exhaust the stack here.
 * @param value - a value from `JSON.parse` (plain objects, arrays, scalars)
 * @param limit - the deepest nesting accepted
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null && nestedDeeperThan(item, limit - 1)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  // for-in over a JSON.parse result sees own keys only: its prototype is Object.prototype.
  for (const key in record) {
    const item = record[key];
    if (typeof item === "object" && item !== null && nestedDeeperThan(item, limit - 1)) return true;
  }
  return false;
}

/**
 * Parses a JSON text from the network, refusing one nested deeper than `maxDepth`.
 * @param text - the body, decoded
 * @param maxDepth - deepest nesting accepted ({@link MAX_JSON_DEPTH} by default)
 * @returns `{ ok: true, value }`, or `{ ok: false, reason, message }` with a short reason fit for a 400
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "syntax", message: "body is not valid JSON" };
  }
  // JSON.parse itself is not recursive in V8 (it parses any depth); the code after it is.
  if (nestedDeeperThan(value, maxDepth)) {
    return { ok: false, reason: "too-deep", message: `JSON is nested deeper than ${maxDepth} levels` };
  }
  return { ok: true, value };
}

/**
 * Whether a value is a JSON object (not null, not an array): what a reader of untrusted JSON checks before it
 * reads a field.
 * @param value - a parsed JSON value
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
