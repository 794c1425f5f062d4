/**
 * createEmulator(): one Hono app that plays DingTalk at one base URL (oapi and api paths together),
 * plus its control API under /_emulator/.
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { getRequestListener, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { withFastRoutes } from "../http/fast-routes.js";
import { createEmulatorContext, type EmulatorContext } from "./context.js";
import { type EmulatorOptions, type ResolvedEmulatorOptions, resolveEmulatorOptions } from "./options.js";
import { FAST_ROUTES, LISTEN_HOOKS, ROUTES } from "./routes/index.js";
import { EmulatorStore } from "./store.js";

/** A running or runnable emulator. */
export interface Emulator {
  /** The Hono app: `app.request()` serves it without a socket, `app.fetch` with one. */
  app: Hono;
  store: EmulatorStore;
  ctx: EmulatorContext;
  /** Starts listening; resolves with the base URL (e.g. `http://127.0.0.1:8089`). */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops listening and closes every socket. */
  close(): Promise<void>;
  /** The base URL once listening. */
  readonly url: string | undefined;
  /** The node:http server once listening (for WebSocket upgrades or socket-level tests). */
  readonly server: ServerType | undefined;
}

/**
 * Creates an emulator.
 * @param options - limits and clock; defaults are DingTalk's real values
 * @example
 * const emulator = createEmulator({ rateWindowMs: 1000 });
 * const baseUrl = await emulator.listen(0);
 * process.env.DINGTALK_BASE_URL = baseUrl;
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const resolved = resolveEmulatorOptions(options);
  const store = new EmulatorStore(resolved.now);
  const ctx = createEmulatorContext(store, resolved);
  const app = new Hono();
  for (const install of ROUTES) install(app, ctx);
  let server: ServerType | undefined;
  let url: string | undefined;
  const closers: Array<() => Promise<void> | void> = [];
  return {
    app,
    store,
    ctx,
    get url() {
      return url;
    },
    get server() {
      return server;
    },
    listen(port = 8089, host = "127.0.0.1") {
      ctx.listenHost = host;
      return new Promise((resolve, reject) => {
        // What @hono/node-server's serve() does, with the fast routes (POST /robot/send) in front of Hono.
        const listener = withFastRoutes(
          getRequestListener(app.fetch, { hostname: host }),
          FAST_ROUTES.map((route) => route(ctx)),
        );
        const http = createServer(serverTimeouts(resolved), listener);
        server = http;
        http.listen(port, host, () => {
          const info = http.address() as AddressInfo;
          url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
          server?.off("error", reject);
          // After start-up an 'error' (e.g. EMFILE on accept) must not end the emulator: report it and
          // keep serving, as the bot's HTTP listener does.
          server?.on("error", (error: NodeJS.ErrnoException) =>
            resolved.log(`server error: ${error.code ?? error.name}`),
          );
          resolve(url);
        });
        server.once("error", reject);
        server.on("clientError", answerClientError);
        for (const hook of LISTEN_HOOKS) closers.push(hook(server, ctx));
      });
    },
    async close() {
      for (const close of closers.splice(0)) await close();
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        // Keep-alive and SSE sockets would hold close() open forever.
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      server = undefined;
    },
  };
}

/**
 * node:http's limits on slow clients. Without them a client trickling its body holds a connection (and the
 * handler waiting for it) for node's default of 5 minutes; past them node answers 408 itself. Node refuses a
 * headers timeout above the request timeout, and checks both only every `connectionsCheckingInterval`
 * (30 s by default), so the interval follows the shorter limit.
 */
function serverTimeouts(options: ResolvedEmulatorOptions) {
  const requestTimeout = options.requestTimeoutMs;
  const headersTimeout = Math.min(options.headersTimeoutMs, requestTimeout);
  return {
    requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

/**
 * Answers what node's parser refused (a request too slow, or not HTTP) with the status node would use, but
 * with a short JSON reason like every other refusal of the emulator. Adding a `clientError` listener turns
 * node's own answer off, so this must answer every kind.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const [status, text, reason] = timedOut
    ? [408, "Request Timeout", "the request was not received in time"]
    : error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", "request headers too large"]
      : [400, "Bad Request", "malformed HTTP request"];
  // A response already under way (its head written) must not be corrupted by a second one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ error: reason });
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
