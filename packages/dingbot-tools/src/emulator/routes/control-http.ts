/**
 * HTTP plumbing of the control API: reading a JSON body with a size cap, and turning
 * {@link ControlError}s into `{ error }` answers so a bad request never becomes a 500.
 * @module
 */
import { parseJson } from "dingbot-sdk/protocol";
import type { Context } from "hono";
import { readCappedBody } from "../../http/read-body.js";
import { ControlError } from "./control-input.js";

/** Largest control-API request body, in bytes. */
export const CONTROL_MAX_BODY_BYTES = 1_000_000;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a control request's JSON body; an empty body is `{}` (every field is optional somewhere).
 * @throws ControlError 413 when too large, 400 when not JSON or nested deeper than `MAX_JSON_DEPTH`
 */
export async function readControlJson(c: Context): Promise<unknown> {
  const read = await readCappedBody(c, CONTROL_MAX_BODY_BYTES).catch(() => undefined);
  if (!read) throw new ControlError(400, "the request body could not be read");
  if (!read.ok) throw new ControlError(413, `body is larger than ${CONTROL_MAX_BODY_BYTES} bytes`);
  if (read.bytes.byteLength === 0) return {};
  let text: string;
  try {
    text = decoder.decode(read.bytes);
  } catch {
    throw new ControlError(400, "body is not valid UTF-8 JSON");
  }
  // Capped nesting: a deeply nested value would be stored and break every later JSON answer.
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw new ControlError(
      400,
      parsed.reason === "too-deep" ? parsed.message : "body is not valid UTF-8 JSON",
    );
  }
  return parsed.value;
}

/**
 * Wraps a control handler: ControlErrors become `{ error }` with their status.
 * @param handler - the route's handler
 */
export function control(
  handler: (c: Context) => Promise<Response> | Response,
): (c: Context) => Promise<Response> {
  return async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      if (error instanceof ControlError) return c.json({ error: error.message }, error.status);
      throw error;
    }
  };
}

/** The origin the client used to reach the emulator (scheme, host and port of the request URL). */
export function originOf(c: Context): string {
  return new URL(c.req.url).origin;
}
