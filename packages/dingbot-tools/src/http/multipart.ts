/**
 * A streaming `multipart/form-data` reader with a size cap, on top of {@link streamCappedBody}: the body is
 * parsed as it arrives and only the parts' bytes are kept (a file as the list of slices it arrived in, never
 * joined), so a 20 MiB upload costs about 20 MiB, not two or three copies. Hono's `parseBody()` buffers the
 * whole body first; this does not.
 * @module
 */
import type { Context } from "hono";
import { streamCappedBody } from "./read-body.js";

/** One part of a form: a plain field or a file. */
export interface MultipartPart {
  /** The `name` of its Content-Disposition. */
  name: string;
  /** The `filename`, for file parts. */
  fileName?: string;
  /** Its Content-Type header, when sent. */
  contentType?: string;
  /** Its bytes, as the slices they arrived in. */
  chunks: Uint8Array[];
  size: number;
}

/** The outcome of {@link readMultipart}. */
export type MultipartRead =
  | { ok: true; parts: MultipartPart[] }
  | { ok: false; reason: "too-large" | "malformed"; message: string };

/** Limits of {@link readMultipart}. */
export interface MultipartLimits {
  /** Largest body in bytes, all parts and their headers included. */
  limit: number;
  /** Most parts (default 20). */
  maxParts?: number;
  /** Largest header block of one part, in bytes (default 8 KiB). */
  maxHeaderBytes?: number;
}

/**
 * The boundary of a `multipart/form-data` Content-Type, or undefined when it is not one.
 * @param contentType - the request's Content-Type header
 */
export function multipartBoundary(contentType: string | null | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // RFC 2046: 1 to 70 characters.
    return value.length > 0 && value.length <= 70 ? value : undefined;
  }
  return undefined;
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** A push parser: `write` each chunk, then `end`. Exported for unit tests. */
export class MultipartParser {
  readonly parts: MultipartPart[] = [];
  #state: "preamble" | "after-boundary" | "headers" | "body" | "done" = "preamble";
  #pending: Buffer = Buffer.alloc(0);
  #part: MultipartPart | undefined;
  readonly #dashBoundary: Buffer;
  readonly #delimiter: Buffer;
  readonly #maxParts: number;
  readonly #maxHeaderBytes: number;
  /** Why the body is not a valid form, once known. */
  error: string | undefined;

  constructor(boundary: string, options: { maxParts?: number; maxHeaderBytes?: number } = {}) {
    this.#dashBoundary = Buffer.from(`--${boundary}`, "latin1");
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
    this.#maxParts = options.maxParts ?? 20;
    this.#maxHeaderBytes = options.maxHeaderBytes ?? 8192;
  }

  /** Whether the closing boundary was seen. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Feeds one chunk.
   * @returns `"stop"` once the form is complete or malformed (the rest need not be read)
   */
  write(chunk: Uint8Array): "stop" | undefined {
    if (this.error !== undefined || this.#state === "done") return "stop";
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let buf = this.#pending.byteLength === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    for (;;) {
      if (this.#state === "preamble") {
        const at = buf.indexOf(this.#dashBoundary);
        if (at < 0) {
          // The preamble is ignored; keep only what could be the start of the boundary.
          buf = buf.subarray(Math.max(0, buf.byteLength - this.#dashBoundary.byteLength + 1));
          break;
        }
        buf = buf.subarray(at + this.#dashBoundary.byteLength);
        this.#state = "after-boundary";
      } else if (this.#state === "after-boundary") {
        if (buf.byteLength < 2) break;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.#state = "done";
          buf = Buffer.alloc(0);
          break;
        }
        // Transport padding (spaces, tabs) may follow a boundary.
        let i = 0;
        while (i < buf.byteLength && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (buf.byteLength < i + 2) break;
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) return this.#fail("a boundary is not followed by CRLF");
        buf = buf.subarray(i + 2);
        this.#state = "headers";
      } else if (this.#state === "headers") {
        const at = buf.indexOf(HEADER_END);
        const blank = buf.subarray(0, 2).equals(CRLF);
        if (at < 0 && !blank) {
          if (buf.byteLength > this.#maxHeaderBytes) return this.#fail("a part's headers are too long");
          break;
        }
        const headerEnd = blank ? 0 : at;
        if (headerEnd > this.#maxHeaderBytes) return this.#fail("a part's headers are too long");
        const part = parsePartHeaders(buf.subarray(0, headerEnd).toString("utf8"));
        if (typeof part === "string") return this.#fail(part);
        if (this.parts.length >= this.#maxParts) return this.#fail(`more than ${this.#maxParts} parts`);
        this.parts.push(part);
        this.#part = part;
        buf = buf.subarray(blank ? 2 : at + HEADER_END.byteLength);
        this.#state = "body";
      } else if (this.#state === "body") {
        const at = buf.indexOf(this.#delimiter);
        if (at < 0) {
          const safe = buf.byteLength - this.#delimiter.byteLength + 1;
          if (safe > 0) {
            this.#take(buf.subarray(0, safe));
            buf = buf.subarray(safe);
          }
          break;
        }
        if (at > 0) this.#take(buf.subarray(0, at));
        this.#part = undefined;
        buf = buf.subarray(at + this.#delimiter.byteLength);
        this.#state = "after-boundary";
      } else {
        break;
      }
    }
    // What is pending is at most a boundary's length: copy it, so the chunk it came from can be freed.
    this.#pending = Buffer.from(buf);
    return this.#state === "done" ? "stop" : undefined;
  }

  /** Ends the body; sets {@link error} when the form was not complete. */
  end(): void {
    if (this.error === undefined && this.#state !== "done")
      this.error = "the form ends without its closing boundary";
  }

  #take(slice: Buffer): void {
    const part = this.#part;
    if (!part) return;
    part.chunks.push(slice);
    part.size += slice.byteLength;
  }

  #fail(message: string): "stop" {
    this.error = message;
    return "stop";
  }
}

/** Reads `name`, `filename` (or `filename*`) and the Content-Type of one part's header block. */
function parsePartHeaders(block: string): MultipartPart | string {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-disposition") disposition = value;
    else if (key === "content-type") contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition))
    return "a part has no Content-Disposition: form-data";
  const params = dispositionParams(disposition);
  const name = params.get("name");
  if (name === undefined) return "a part has no name";
  const star = params.get("filename*");
  let fileName = params.get("filename");
  if (star !== undefined) {
    const match = /^utf-8''(.*)$/i.exec(star);
    if (match) {
      try {
        fileName = decodeURIComponent(match[1] ?? "");
      } catch {
        // keep the plain filename
      }
    }
  }
  return {
    name,
    ...(fileName !== undefined ? { fileName } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    chunks: [],
    size: 0,
  };
}

/** The parameters of a Content-Disposition value, quoted strings unescaped. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of value.matchAll(re)) {
    const key = (match[1] ?? "").toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "").trim();
    if (!params.has(key)) params.set(key, raw);
  }
  return params;
}

/**
 * Reads a `multipart/form-data` request body as it streams, with a cap on its total size.
 * @param source - a Hono context or a Fetch `Request`
 * @param boundary - from {@link multipartBoundary}
 * @param limits - size and count caps
 * @throws when the client ends the connection before the body did
 */
export async function readMultipart(
  source: Context | Request,
  boundary: string,
  limits: MultipartLimits,
): Promise<MultipartRead> {
  const parser = new MultipartParser(boundary, limits);
  const read = await streamCappedBody(source, limits.limit, (chunk) => parser.write(chunk));
  if (!read.ok) return { ok: false, reason: "too-large", message: `body larger than ${limits.limit} bytes` };
  parser.end();
  if (parser.error !== undefined) return { ok: false, reason: "malformed", message: parser.error };
  return { ok: true, parts: parser.parts };
}
