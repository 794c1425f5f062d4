/**
 * How DingTalk's old (TOP) gateway reads parameters. Scripts built on Python's urllib form-encode
 * a dict, so a nested object arrives as `str(dict)`: `{'msgtype': 'text', 'text': {'content': 'hi'}}`,
 * with single quotes, `True`/`False`/`None`; numbers arrive as strings. The gateway accepts all of it,
 * so the schemas of old-API requests accept it too and normalise it to plain JSON values.
 * @module
 */
import { z } from "zod";
import { MAX_JSON_DEPTH, parseJson } from "../json.js";

/** A parse failure inside a Python literal, with the offset where it happened. */
export class LiteralSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = "LiteralSyntaxError";
  }
}

const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  "0": "\0",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "/": "/",
};

/** A recursive-descent reader of the subset of Python literals `str()` produces for JSON-like data. */
class LiteralReader {
  #pos = 0;
  #depth = 0;
  constructor(private readonly text: string) {}

  read(): unknown {
    const value = this.#value();
    this.#skipSpace();
    if (this.#pos < this.text.length) throw new LiteralSyntaxError("unexpected trailing text", this.#pos);
    return value;
  }

  #skipSpace(): void {
    while (this.#pos < this.text.length && /\s/.test(this.text[this.#pos] as string)) this.#pos += 1;
  }

  #value(): unknown {
    this.#skipSpace();
    const ch = this.text[this.#pos];
    if (ch === "{") return this.#dict();
    if (ch === "[" || ch === "(") return this.#list(ch === "[" ? "]" : ")");
    if (ch === "'" || ch === '"') return this.#string(ch);
    const word = /^(True|False|None|true|false|null)\b/.exec(this.text.slice(this.#pos));
    if (word) {
      this.#pos += (word[1] as string).length;
      const w = word[1] as string;
      return w === "True" || w === "true" ? true : w === "False" || w === "false" ? false : null;
    }
    const num = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(this.text.slice(this.#pos));
    if (num) {
      this.#pos += num[0].length;
      return Number(num[0]);
    }
    throw new LiteralSyntaxError(`unexpected ${ch === undefined ? "end" : JSON.stringify(ch)}`, this.#pos);
  }

  #expect(ch: string): void {
    this.#skipSpace();
    if (this.text[this.#pos] !== ch)
      throw new LiteralSyntaxError(`expected ${JSON.stringify(ch)}`, this.#pos);
    this.#pos += 1;
  }

  /** Reads `sep`-separated items until `close`; Python allows a trailing comma. */
  #items(close: string, item: () => void): void {
    this.#skipSpace();
    if (this.text[this.#pos] === close) {
      this.#pos += 1;
      return;
    }
    for (;;) {
      item();
      this.#skipSpace();
      const ch = this.text[this.#pos];
      this.#pos += 1;
      if (ch === close) return;
      if (ch !== ",") throw new LiteralSyntaxError(`expected "," or ${JSON.stringify(close)}`, this.#pos - 1);
      this.#skipSpace();
      if (this.text[this.#pos] === close) {
        this.#pos += 1;
        return;
      }
    }
  }

  /** Counts one level of nesting: capped like JSON bodies, so a hostile literal cannot exhaust the stack. */
  #enter(): void {
    this.#depth += 1;
    if (this.#depth > MAX_JSON_DEPTH) {
      throw new LiteralSyntaxError(`nested deeper than ${MAX_JSON_DEPTH} levels`, this.#pos);
    }
  }

  #dict(): Record<string, unknown> {
    this.#enter();
    this.#pos += 1;
    const out: Record<string, unknown> = {};
    this.#items("}", () => {
      const key = this.#value();
      this.#expect(":");
      // An own property even for "__proto__", as JSON.parse makes it: a plain assignment would change the
      // object's prototype instead of storing the key (and let a request body reshape it).
      Object.defineProperty(out, String(key), {
        value: this.#value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    this.#depth -= 1;
    return out;
  }

  #list(close: string): unknown[] {
    this.#enter();
    this.#pos += 1;
    const out: unknown[] = [];
    this.#items(close, () => out.push(this.#value()));
    this.#depth -= 1;
    return out;
  }

  #string(quote: string): string {
    const start = this.#pos;
    this.#pos += 1;
    let out = "";
    while (this.#pos < this.text.length) {
      const ch = this.text[this.#pos] as string;
      if (ch === quote) {
        this.#pos += 1;
        return out;
      }
      if (ch !== "\\") {
        out += ch;
        this.#pos += 1;
        continue;
      }
      const next = this.text[this.#pos + 1] ?? "";
      const hex = next === "u" ? 4 : next === "x" ? 2 : next === "U" ? 8 : 0;
      if (hex > 0) {
        const digits = this.text.slice(this.#pos + 2, this.#pos + 2 + hex);
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) {
          throw new LiteralSyntaxError("bad escape", this.#pos);
        }
        const codePoint = Number.parseInt(digits, 16);
        // Python refuses \U00110000 and above too; String.fromCodePoint would throw a RangeError.
        if (codePoint > 0x10ffff) throw new LiteralSyntaxError("bad escape", this.#pos);
        out += String.fromCodePoint(codePoint);
        this.#pos += 2 + hex;
        continue;
      }
      out += ESCAPES[next] ?? `\\${next}`;
      this.#pos += 2;
    }
    throw new LiteralSyntaxError("unterminated string", start);
  }
}

/**
 * Parses a Python literal of dicts, lists, tuples, strings, numbers, `True`, `False` and `None`
 * into JSON values. JSON itself is a subset, so JSON text parses too.
 * @param text - e.g. `{'msgtype': 'text', 'text': {'content': 'hi'}}`
 * @throws LiteralSyntaxError when the text is not such a literal, or is nested deeper than `MAX_JSON_DEPTH`
 */
export function parsePythonLiteral(text: string): unknown {
  return new LiteralReader(text).read();
}

/**
 * Reads a structured parameter the way the TOP gateway does: JSON first, then a Python literal.
 * Anything that is not a string is returned unchanged; a string that parses as neither is returned as is
 * (the schema then reports it).
 * @param value - a parameter value from a JSON or form body
 */
export function parseStructuredParam(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (!/^[{[(]/.test(trimmed)) return value;
  const json = parseJson(trimmed);
  if (json.ok) return json.value;
  // Too deep is refused outright (the schema reports the string); anything else may be a Python literal.
  if (json.reason === "too-deep") return value;
  try {
    return parsePythonLiteral(trimmed);
  } catch {
    return value;
  }
}

/** An integer parameter: a JSON number, or a string of digits (form bodies, some SDKs). */
export const topInt = (): z.ZodType<number> =>
  z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.number().int(),
  ) as unknown as z.ZodType<number>;

/** A boolean parameter: a JSON boolean, or "true"/"false" (any case). */
export const topBool = (): z.ZodType<boolean> =>
  z.preprocess((v) => {
    if (typeof v !== "string") return v;
    const lower = v.trim().toLowerCase();
    return lower === "true" ? true : lower === "false" ? false : v;
  }, z.boolean()) as unknown as z.ZodType<boolean>;

/**
 * A structured parameter (object or list): the JSON value itself, or a string holding JSON or a Python literal.
 * @param schema - the schema of the parsed value
 */
export const topStructured = <S extends z.ZodType>(schema: S): z.ZodType<z.infer<S>> =>
  z.preprocess(parseStructuredParam, schema) as unknown as z.ZodType<z.infer<S>>;
