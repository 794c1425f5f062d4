/**
 * Mutations of valid values into hostile wire bodies: nesting depth around and far past the cap, sizes
 * around every limit, wrong types, truncation, duplicate keys, `__proto__`/`constructor` keys, and text
 * encodings (BOM, UTF-16, Latin-1, invalid UTF-8). Every body carries a short note naming the mutation, so a
 * failure report says what was sent without dumping megabytes.
 */
import fc from "fast-check";
import { NASTY_STRINGS } from "./schema-arb.js";

/** A body as sent, and what was done to it. */
export interface WireBody {
  bytes: Uint8Array;
  note: string;
}

/** Nesting depths worth trying: inside the cap, at it, just past it, far past it. */
export const DEPTHS = [2, 10, 62, 63, 64, 65, 66, 100, 1000, 10_000, 50_000] as const;

/** Sizes worth trying (characters of one padded string), around the servers' limits. */
export const SIZES = [19_900, 20_001, 65_000, 65_600, 262_000, 262_200, 1_000_100] as const;

const utf8 = (text: string): Uint8Array => Buffer.from(text, "utf8");

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels around `inner`. */
export function nest(depth: number, inner: string, style: "array" | "object"): string {
  return style === "array"
    ? `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${"}".repeat(depth)}`;
}

function keysOf(value: unknown): string[] {
  return value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

/** Replaces the value at one top-level key (or the whole value when it has none). */
function withAt(value: unknown, pick: number, replacement: string): string {
  const keys = keysOf(value);
  if (keys.length === 0) return replacement;
  const key = keys[pick % keys.length] as string;
  const marker = "\u0001FUZZ\u0001";
  const copy = { ...(value as Record<string, unknown>), [key]: marker };
  return JSON.stringify(copy).replace(JSON.stringify(marker), replacement);
}

/** Inserts raw members right after the first `{` of an object text (before the others, so those win). */
function prepend(text: string, members: string): string {
  return text.startsWith("{") && text.length > 2 ? `{${members},${text.slice(1)}` : text;
}

/** Inserts raw members right before the last `}` (after the others, so these win). */
function append(text: string, members: string): string {
  return text.startsWith("{") && text.endsWith("}") && text.length > 2
    ? `${text.slice(0, -1)},${members}}`
    : text;
}

type Text = { text: string; note: string };

/** Text-level mutations of one valid value. */
function textMutation(valid: fc.Arbitrary<unknown>): fc.Arbitrary<Text> {
  const any = fc.jsonValue({ maxDepth: 2 });
  const seed = fc.nat();
  return fc.oneof(
    { arbitrary: valid.map((v) => ({ text: JSON.stringify(v) ?? "null", note: "valid" })), weight: 8 },
    {
      arbitrary: fc
        .tuple(
          valid,
          seed,
          fc.constantFrom(...DEPTHS),
          fc.constantFrom("array", "object") as fc.Arbitrary<"array" | "object">,
          fc.boolean(),
        )
        .map(([v, pick, depth, style, whole]) => ({
          text: whole
            ? nest(depth, JSON.stringify(v) ?? "1", style)
            : withAt(v, pick, nest(depth, '"x"', style)),
          note: `nested ${depth} deep (${style}${whole ? ", whole body" : ""})`,
        })),
      weight: 4,
    },
    {
      arbitrary: fc.tuple(valid, seed, fc.constantFrom(...SIZES)).map(([v, pick, size]) => ({
        text: withAt(v, pick, JSON.stringify("钉".repeat(Math.ceil(size / 3)) + "x".repeat(size % 3))),
        note: `one string of ~${size} bytes`,
      })),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(valid, seed, any).map(([v, pick, replacement]) => ({
        text: withAt(v, pick, JSON.stringify(replacement) ?? "null"),
        note: "one field of another type",
      })),
      weight: 4,
    },
    {
      arbitrary: fc.tuple(valid, seed).map(([v, pick]) => {
        const keys = keysOf(v);
        const copy = { ...(v as Record<string, unknown>) };
        const dropped = keys[pick % Math.max(1, keys.length)];
        if (dropped !== undefined) delete copy[dropped];
        return {
          text: JSON.stringify(keys.length ? copy : v) ?? "null",
          note: `without ${dropped ?? "(nothing)"}`,
        };
      }),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(valid, fc.constantFrom("[]", '""', "0", "null", "true", "-0", "1e999", '"x"', "[null]"))
        .map(([v, top]) => ({
          text: top === "[]" ? `[${JSON.stringify(v)}]` : top,
          note: `top level ${top}`,
        })),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom(
            '"__proto__":{"polluted":"yes","isAdmin":true}',
            '"__proto__":null',
            '"__proto__":[]',
            '"constructor":{"prototype":{"polluted":"yes"}}',
            '"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":"yes"}',
            '"hasOwnProperty":"x"',
            '"toString":"x","valueOf":1',
          ),
          fc.boolean(),
        )
        .map(([v, members, first]) => {
          const text = JSON.stringify(v) ?? "null";
          return {
            text: first ? prepend(text, members) : append(text, members),
            note: `with ${members.split(":")[0]} key`,
          };
        }),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(valid, seed, any, fc.boolean()).map(([v, pick, other, before]) => {
        const keys = keysOf(v);
        const text = JSON.stringify(v) ?? "null";
        if (keys.length === 0) return { text, note: "duplicate key (no keys)" };
        const key = keys[pick % keys.length] as string;
        const member = `${JSON.stringify(key)}:${JSON.stringify(other) ?? "null"}`;
        return {
          text: before ? prepend(text, member) : append(text, member),
          note: `duplicate key ${key} (${before ? "valid one last" : "odd one last"})`,
        };
      }),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(valid, fc.double({ min: 0, max: 1, noNaN: true })).map(([v, at]) => {
        const text = JSON.stringify(v) ?? "null";
        return { text: text.slice(0, Math.floor(text.length * at)), note: "truncated" };
      }),
      weight: 2,
    },
    {
      arbitrary: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom(...NASTY_STRINGS)).map((text) => ({
        text,
        note: "not JSON",
      })),
      weight: 1,
    },
    { arbitrary: fc.constant({ text: "", note: "empty" }), weight: 1 },
  );
}

/** Encodes a text; most bodies are plain UTF-8. */
function encode(text: Text, how: number, at: number): WireBody {
  switch (how) {
    case 1:
      return {
        bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(text.text)]),
        note: `${text.note}, UTF-8 BOM`,
      };
    case 2:
      return { bytes: Buffer.from(text.text, "utf16le"), note: `${text.note}, UTF-16LE` };
    case 3:
      return { bytes: Buffer.from(text.text, "latin1"), note: `${text.note}, Latin-1` };
    case 4: {
      const bytes = Buffer.from(utf8(text.text));
      const i = Math.floor(bytes.length * at);
      return {
        bytes: Buffer.concat([
          bytes.subarray(0, i),
          Buffer.from([0xc0, 0xaf, 0xff, 0xfe]),
          bytes.subarray(i),
        ]),
        note: `${text.note}, invalid UTF-8 at ${i}`,
      };
    }
    case 5:
      // A JSON escape of a lone surrogate: valid JSON, invalid Unicode once decoded.
      return {
        bytes: utf8(text.text.replace(/"([a-z])/, '"\\ud800$1')),
        note: `${text.note}, lone surrogate escape`,
      };
    default:
      return { bytes: utf8(text.text), note: text.note };
  }
}

/**
 * Hostile bodies derived from valid values.
 * @param valid - an arbitrary of valid (or nearly valid) JSON values
 */
export function wireBody(valid: fc.Arbitrary<unknown>): fc.Arbitrary<WireBody> {
  return fc
    .tuple(
      textMutation(valid),
      fc.oneof({ arbitrary: fc.constant(0), weight: 12 }, fc.integer({ min: 1, max: 5 })),
      fc.double({ min: 0, max: 1, noNaN: true }),
    )
    .map(([text, how, at]) => encode(text, how, at));
}

/** Content-Type values: JSON most of the time, then everything a confused client sends. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 10 },
  fc.constantFrom(
    undefined,
    "",
    "application/json; charset=utf-8",
    "APPLICATION/JSON; Charset=UTF-8",
    "application/json; charset=utf-16",
    "application/json, text/plain",
    "application/jsonx",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    ";;;",
  ),
);

/** A header value a client can send (printable ASCII and Latin-1). */
export const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
  fc.constantFrom(
    "",
    "null",
    "-1",
    "0",
    "1e999",
    "gzip",
    "deflate",
    "br",
    "chunked",
    "\xff\xfe",
    "ä",
    "cross-site",
    "same-site",
    "same-origin",
  ),
);

/** Extra headers: ones servers might read, with odd values. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom(
    "content-encoding",
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "origin",
    "referer",
    "authorization",
    "cookie",
    "accept",
    "accept-encoding",
    "x-acs-dingtalk-access-token",
    "x-github-event",
    "x-hub-signature-256",
    "timestamp",
    "sign",
    "x-http-method-override",
    "sec-fetch-site",
  ),
  headerValue,
  { maxKeys: 3 },
);

/** Methods, POST most of the time. */
export const method = fc.oneof(
  { arbitrary: fc.constant("POST"), weight: 12 },
  fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
);
