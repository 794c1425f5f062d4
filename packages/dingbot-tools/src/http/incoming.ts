/**
 * The node:http request behind a Hono context, for what the Fetch `Request` does not offer (the socket) or
 * offers only at a cost (headers: building the `Request` for them costs more than a small handler).
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/**
 * The Node request under @hono/node-server; undefined under `app.request()` or another runtime.
 * @param c - the Hono context
 */
export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}
