/**
 * Routes that answer on node:http before the framework sees the request. Building the Fetch `Request` and
 * `Response` (and the URL behind them) costs more than the emulator's whole `/robot/send`; a route users
 * point load tests at can take its requests straight from node:http and leave every other one to Hono.
 * @module
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

/**
 * A route that may take a request before the framework does.
 * @returns true when it took the request (it answers it), false to leave it to the framework untouched
 */
export type FastRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * A request listener that offers each request to `routes` in order and gives the framework's `listener`
 * whatever none of them took.
 * @param listener - the framework's listener (e.g. @hono/node-server's `getRequestListener(app.fetch)`)
 * @param routes - the fast routes
 */
export function withFastRoutes(listener: RequestListener, routes: readonly FastRoute[]): RequestListener {
  if (routes.length === 0) return listener;
  return (req, res) => {
    for (const route of routes) if (route(req, res)) return;
    listener(req, res);
  };
}

/** @hono/node-server's test for a Host it uses as is (any other it parses with `new URL()`, or refuses). */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

/**
 * Whether @hono/node-server would take a request's Host header as it is. A fast route leaves any other Host
 * to the framework, which normalises it or refuses the request.
 * @param host - the Host header, if any
 */
export function isPlainHost(host: string | undefined): boolean {
  return host !== undefined && PLAIN_HOST.test(host);
}

/** node:http's own record of a body's length, read by writeHead when it builds the head. */
type ResponseWithLength = ServerResponse & {
  _contentLength: number | null;
  /** False for an HTTP/1.0 request: node:http then writes no Content-Length of its own. */
  useChunkedEncodingByDefault: boolean;
};

/**
 * Writes an answer as @hono/node-server writes a `Response` whose length it knows: the given headers, then
 * the Date, Connection and Content-Length node:http adds. Given the length first (`_contentLength`, where
 * end() would keep it), writeHead takes a flat `[name, value]` list and skips setHeader's checks and header
 * map: 3–7 µs of CPU per request on a bare node:http server (bench/RESULTS.md, issue 15). For an HTTP/1.0
 * request node:http adds no length, so it goes into the list, as Hono puts it there. The fast routes' tests
 * compare the bytes with the Hono routes', HTTP/1.0 included, so a Node that moved Content-Length fails there.
 * @param res - the response, head not yet written
 * @param status - the status code
 * @param headers - the answer's own headers as a flat list
 * @param body - the body text
 * @param byteLength - its length in bytes, when the caller knows it already
 */
export function writeWithLength(
  res: ServerResponse,
  status: number,
  headers: string[],
  body: string,
  byteLength: number = Buffer.byteLength(body),
): void {
  const response = res as ResponseWithLength;
  if (response.useChunkedEncodingByDefault) {
    response._contentLength = byteLength;
    res.writeHead(status, headers);
  } else {
    // HTTP/1.0: node:http would send no length and close even a keep-alive connection; Hono then names
    // the length itself, after the answer's own headers.
    res.writeHead(status, [...headers, "Content-Length", String(byteLength)]);
  }
  res.end(body);
}

/**
 * After an answer: a body left unread (a request refused before its body was read) is drained once the
 * answer is sent, as Hono's server does ({@link drainUnreadBody}).
 * @param req - the request
 * @param res - its response, just ended
 */
export function drainAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (!req.readableEnded) res.once("finish", () => drainUnreadBody(req));
}

/** How long an unread body may take to arrive after the answer before the connection is closed, in ms. */
export const DRAIN_TIMEOUT_MS = 500;

/** How much of an unread body is read and discarded after the answer before the connection is closed. */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * What to do with a request body nobody read, once the answer is on its way: read and discard it so the
 * keep-alive connection can carry the next request, but close the connection when the rest takes longer than
 * {@link DRAIN_TIMEOUT_MS} or is larger than {@link MAX_DRAIN_BYTES}. The same limits as @hono/node-server
 * applies to a body its routes leave unread, so a request refused early (a bad signature, a declared size over
 * the cap) is treated alike on the fast route and on the framework's.
 * @param incoming - the request whose answer was just sent
 */
export function drainUnreadBody(incoming: IncomingMessage): void {
  if (incoming.readableEnded || incoming.destroyed) return;
  let bytesRead = 0;
  const cleanup = (): void => {
    clearTimeout(timer);
    incoming.off("data", onData);
    incoming.off("end", cleanup);
    incoming.off("error", cleanup);
  };
  const forceClose = (): void => {
    cleanup();
    const socket = incoming.socket;
    if (socket && !socket.destroyed) socket.destroySoon();
  };
  const timer = setTimeout(forceClose, DRAIN_TIMEOUT_MS);
  timer.unref();
  const onData = (chunk: Buffer): void => {
    bytesRead += chunk.length;
    if (bytesRead > MAX_DRAIN_BYTES) forceClose();
  };
  incoming.on("data", onData);
  incoming.on("end", cleanup);
  incoming.on("error", cleanup);
  incoming.resume();
}
