/**
 * node:http glue for the HTTP callback transport: a request listener and a small server.
 * For handlers built by httpTransport it feeds node's request straight into the core, skipping the
 * Web Request/Response objects (they cost more than the whole verification on Node 20).
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Duplex, Readable } from "node:stream";
import type { Logger } from "../../logger.js";
import {
  CALL_HANDLER,
  HTTP_DEFAULT_REQUEST_TIMEOUT_MS,
  type HttpAnswer,
  type HttpCall,
  type HttpCallHandler,
} from "./http-core.js";

/** A server started by {@link listenHttp}. */
export interface RunningHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** A node:http request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Turns a Web handler (e.g. from httpTransport) into a node:http request listener.
 * @param handler - `(Request) => Promise<Response>`
 * @example
 * createServer(toNodeListener(httpTransport(bot, { appSecret }))).listen(3000);
 */
export function toNodeListener(handler: (request: Request) => Promise<Response>): NodeListener {
  const core = (handler as unknown as Record<symbol, HttpCallHandler | undefined>)[CALL_HANDLER];
  if (core) return coreListener(core);
  return (req, res) => {
    bridge(handler, req, res).catch(() =>
      writeAnswer(res, req, { status: 500, body: '{"error":"internal error"}' }),
    );
  };
}

/** A listener that feeds node's request straight into the core. */
export function coreListener(core: HttpCallHandler): NodeListener {
  return (req, res) => {
    core(fromNode(req)).then(
      (result) => writeAnswer(res, req, result),
      () => writeAnswer(res, req, { status: 500, body: '{"error":"internal error"}' }),
    );
  };
}

/** Server settings of {@link listenHttp}. */
export interface ListenHttpOptions {
  /** Time to receive a whole request (headers and body), in ms; then 408 (default 10 000). */
  requestTimeoutMs?: number | undefined;
}

/**
 * Serves a core handler on node:http.
 * @param core - the core handler
 * @param port - 0 picks a free port
 * @param host - address to bind
 * @param logger - receives server errors after start-up, and one line per request timed out
 * @param options - server settings
 */
export function listenHttp(
  core: HttpCallHandler,
  port: number,
  host: string,
  logger?: Logger,
  options: ListenHttpOptions = {},
): Promise<RunningHttpServer> {
  const requestTimeout = options.requestTimeoutMs ?? HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      // Node's defaults (60 s for headers, 300 s for the whole request) let a client that sends its headers
      // and then a trickle of body hold a connection for five minutes. The headers get the same bound.
      requestTimeout,
      headersTimeout: requestTimeout,
      // Node checks the timeouts only this often (default 30 s), which would stretch a 10 s limit to 40 s.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
    },
    coreListener(core),
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket) =>
    answerClientError(error, socket, logger),
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      // After start-up an 'error' (e.g. EMFILE on accept) must not crash the bot: log it and keep serving.
      server.on("error", (error: NodeJS.ErrnoException) =>
        logger?.error({ err: error.code ?? error.name }, "http server error"),
      );
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host.includes(":") ? `[${host}]` : host}:${actual}`,
        port: actual,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive sockets would hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * Answers what node's parser refused (a request too slow, or not HTTP) as node would, but with a JSON body like
 * every other refusal, and logs the timeouts (they are the ones an operator may need to tune).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger | undefined): void {
  const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const [status, text] = timedOut
    ? [408, "Request Timeout"]
    : error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large"]
      : [400, "Bad Request"];
  if (timedOut) logger?.warn({ status, reason: "timeout" }, "callback rejected");
  // A response already under way (its head written) must not be corrupted by a second one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({
      error: timedOut ? "the request was not received in time" : "malformed HTTP request",
    });
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function fromNode(req: IncomingMessage): HttpCall {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  let path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith("/")) {
    try {
      path = new URL(path).pathname;
    } catch {
      path = "";
    }
  }
  return new NodeCall(req, path);
}

/**
 * One node:http request seen as an {@link HttpCall}. A class rather than an object literal of closures: its
 * methods live on the prototype, so a request costs one small object instead of several functions.
 */
class NodeCall implements HttpCall {
  readonly method: string;

  constructor(
    private readonly req: IncomingMessage,
    readonly path: string,
  ) {
    this.method = req.method ?? "GET";
  }

  header(name: string): string | undefined {
    return rawHeader(this.req.rawHeaders, name);
  }

  readBody(maxBytes: number): Promise<Buffer | "too-large" | "unreadable"> {
    return readNodeBody(this.req, maxBytes);
  }
}

/**
 * Finds a header in rawHeaders. `req.headers` is built lazily on first access, and the callback only needs
 * three headers, so scanning the raw pairs saves building the whole object per request. Repeated headers are
 * joined with ", " as `req.headers` would.
 */
function rawHeader(raw: string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) {
      found = found === undefined ? raw[i + 1] : `${found}, ${raw[i + 1]}`;
    }
  }
  return found;
}

function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | "too-large" | "unreadable"> {
  const declared = Number(rawHeader(req.rawHeaders, "content-length"));
  if (declared > maxBytes) return Promise.resolve("too-large");
  return new Promise((resolve) => {
    const body = new BodyCollector(maxBytes, resolve);
    req.on("data", (chunk: Buffer) => body.push(chunk));
    req.on("end", () => body.end());
    req.on("error", () => body.settle("unreadable"));
    req.on("aborted", () => body.settle("unreadable"));
  });
}

/**
 * Collects one request body up to a limit. Settled once; later events are ignored rather than unsubscribed
 * (the request object is dropped after its answer, and removing four listeners per request cost more than
 * this flag test).
 */
class BodyCollector {
  #chunks: Buffer[] | undefined = [];
  #total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly resolve: (result: Buffer | "too-large" | "unreadable") => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.#chunks === undefined) return;
    this.#total += chunk.length;
    // Stop collecting at once (the chunks are dropped); the connection is closed after the 413 goes out.
    if (this.#total > this.maxBytes) this.settle("too-large");
    else this.#chunks.push(chunk);
  }

  end(): void {
    const chunks = this.#chunks;
    if (chunks === undefined) return;
    // A callback body nearly always arrives in one chunk: hand it over without copying.
    this.settle(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#total));
  }

  settle(result: Buffer | "too-large" | "unreadable"): void {
    if (this.#chunks === undefined) return;
    this.#chunks = undefined;
    this.resolve(result);
  }
}

function writeAnswer(res: ServerResponse, req: IncomingMessage, result: HttpAnswer): void {
  if (res.headersSent || res.destroyed) return;
  // Headers as a flat list and the body as a string: node then sends head and body as one string write,
  // with no Buffer copy of the body and no header object to walk.
  const headers: string[] = [
    "content-type",
    "application/json; charset=utf-8",
    "content-length",
    String(Buffer.byteLength(result.body)),
  ];
  if (result.headers) {
    for (const key of Object.keys(result.headers)) headers.push(key, result.headers[key]!);
  }
  if (result.closeConnection) {
    headers.push("connection", "close");
    lingerThenClose(req);
  }
  res.writeHead(result.status, headers);
  res.end(result.body);
}

/** After an answer that left the body unread: how many more bytes are read (and dropped) before closing. */
export const LINGER_MAX_BYTES = 8 * 1024 * 1024;
/** After such an answer: how long the client has to stop sending and close, in ms. */
export const LINGER_MAX_MS = 5000;

/**
 * Closes a connection whose request body was not read to the end, without resetting it.
 *
 * Node ends a `Connection: close` response with `socket.destroySoon()`, which closes the socket as soon as
 * the answer is written. Closing with request bytes still unread makes the kernel answer them with a reset,
 * and a client that writes its whole body before reading (Python's http.client and requests, many proxies)
 * then gets ECONNRESET instead of the 413 or 403 it was sent. So, as nginx's lingering close does: send the
 * answer and a FIN, keep reading and discarding what the client still sends (nothing is buffered), and
 * close when it closes, or after {@link LINGER_MAX_BYTES} more bytes or {@link LINGER_MAX_MS}, whichever
 * comes first, so a client cannot hold the connection open by sending forever.
 */
function lingerThenClose(req: IncomingMessage): void {
  const socket = req.socket;
  // Replaces node's close-after-write for this socket only: just the FIN (http sockets are half-open capable).
  socket.destroySoon = function endOnly(this: typeof socket) {
    if (this.writable) this.end();
  };
  let drained = 0;
  const stop = (): void => {
    socket.destroy();
  };
  const timer = setTimeout(stop, LINGER_MAX_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_MAX_BYTES) stop();
  });
  // Flowing: the bytes are read and dropped (node would otherwise dump them only after the answer is written).
  req.resume();
}

async function bridge(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const host = req.headers.host ?? "localhost";
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(`http://${host}${req.url ?? "/"}`, {
    method: req.method ?? "GET",
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
  const response = await handler(request);
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    out[key] = value;
  });
  writeAnswer(res, req, { status: response.status, body: await response.text(), headers: out });
}
