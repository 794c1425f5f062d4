/**
 * The HTTP callback transport as a Web-standard handler: `(Request) => Promise<Response>`, for any
 * server that speaks Fetch (Hono, Bun-style servers, tests), plus `listen()` for plain node:http.
 * @module
 */

import {
  CALL_HANDLER,
  createCallHandler,
  type HttpAnswer,
  type HttpCall,
  type HttpCallHandler,
  type HttpTransportOptions,
} from "./http-core.js";
import { listenHttp, type RunningHttpServer } from "./http-node.js";
import type { Dispatch, Responder, Transport, TransportHooks, Update } from "./transport.js";

/** The handler {@link httpTransport} returns. */
export interface HttpCallbackHandler {
  (request: Request): Promise<Response>;
  /** The server-independent core (used by toNodeListener). */
  readonly [CALL_HANDLER]: HttpCallHandler;
  /**
   * Serves the handler with node:http.
   * @param port - default 3000; 0 picks a free port
   * @param host - default 127.0.0.1
   */
  listen(port?: number, host?: string): Promise<RunningHttpServer>;
}

/** Anything with the Bot's entry point (a Bot, possibly loaded from another copy of dingbot). */
export interface BotLike {
  handleUpdate(update: Update, responder: Responder): Promise<void>;
  /** Card callbacks (a Bot's `bot.action` handlers), served on `cardPath` when `cardApiSecret` is set. */
  handleCardCallback?(body: unknown): Promise<unknown>;
}

/**
 * Answers DingTalk's signed HTTP callbacks for a bot.
 * Unsigned, stale or wrongly signed calls get 401/403, non-JSON or non-message bodies 400, oversized
 * bodies 413, other methods 405 and other paths 404; a handler that throws gives 500, one that is slower
 * than `timeoutMs` gives `{"msgtype":"empty"}` and replies later through the sessionWebhook. With
 * `cardApiSecret`, card callbacks on `cardPath` go to the bot's `bot.action` handlers.
 * @param bot - the bot (or anything with `handleUpdate`)
 * @param options - appSecret (required), path, timeoutMs, maxBodyBytes, requestTimeoutMs, now, logger
 * @throws TypeError for invalid options
 * @example
 * const handler = httpTransport(bot, { appSecret: process.env.DINGTALK_APP_SECRET!, path: "/dd_robot" });
 * const server = await handler.listen(3000);
 */
export function httpTransport(bot: BotLike, options: HttpTransportOptions): HttpCallbackHandler {
  const hooks: TransportHooks = bot.handleCardCallback
    ? { cardCallback: (body) => bot.handleCardCallback?.(body) ?? Promise.resolve(undefined) }
    : {};
  return createHttpHandler((update, responder) => bot.handleUpdate(update, responder), options, hooks);
}

/**
 * Like {@link httpTransport}, around a bare dispatch function.
 * @param hooks - card callbacks, if any
 * @throws TypeError for invalid options
 */
export function createHttpHandler(
  dispatch: Dispatch,
  options: HttpTransportOptions,
  hooks?: TransportHooks,
): HttpCallbackHandler {
  const core = createCallHandler(dispatch, options, hooks);
  const handler = async (request: Request): Promise<Response> => toResponse(await core(fromRequest(request)));
  return Object.assign(handler, {
    [CALL_HANDLER]: core,
    listen: (port = 3000, host = "127.0.0.1") =>
      listenHttp(core, port, host, options.logger, { requestTimeoutMs: options.requestTimeoutMs }),
  });
}

function fromRequest(request: Request): HttpCall {
  let path = "/";
  try {
    path = new URL(request.url).pathname;
  } catch {
    // A Request always has an absolute URL; keep "/" if a caller built an odd one.
  }
  return {
    method: request.method,
    path,
    header: (name) => request.headers.get(name),
    readBody: (maxBytes) => readWebBody(request, maxBytes),
  };
}

async function readWebBody(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array | "too-large" | "unreadable"> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > maxBytes) return "too-large";
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        // Stop reading at once: the rest of an oversized body is never buffered.
        await reader.cancel().catch(() => {});
        return "too-large";
      }
      chunks.push(value);
    }
  } catch {
    return "unreadable";
  }
  return Buffer.concat(chunks, total);
}

function toResponse(result: HttpAnswer): Response {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8", ...result.headers });
  if (result.closeConnection) headers.set("connection", "close");
  return new Response(result.body, { status: result.status, headers });
}

/** Options of {@link httpServerTransport}. */
export interface HttpServerTransportOptions extends HttpTransportOptions {
  /** Port to listen on (default 3000; 0 picks a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
}

/** A {@link Transport} that serves DingTalk's callbacks on its own node:http server. */
export interface HttpServerTransport extends Transport {
  /** The base URL once started. */
  readonly url: string | undefined;
}

/**
 * The HTTP callback transport as a {@link Transport}, for `bot.start()`.
 * @throws TypeError for invalid options
 * @example
 * const transport = httpServerTransport({ appSecret, port: 3000 });
 * await bot.start(transport);
 */
export function httpServerTransport(options: HttpServerTransportOptions): HttpServerTransport {
  // Validate now rather than at start(), so a bad option fails where it was written.
  createCallHandler(async () => {}, options);
  let server: RunningHttpServer | undefined;
  return {
    get url() {
      return server?.url;
    },
    async start(dispatch: Dispatch, signal: AbortSignal, hooks?: TransportHooks) {
      if (server) throw new Error("the HTTP transport is already started");
      if (hooks?.cardCallback && !options.cardApiSecret) {
        options.logger?.warn(
          {},
          "the bot has card action handlers but no cardApiSecret: card callbacks over HTTP are refused; set it to the apiSecret registered with callbacks/register",
        );
      }
      const handler = createHttpHandler(dispatch, options, hooks);
      server = await handler.listen(options.port ?? 3000, options.host ?? "127.0.0.1");
      signal.addEventListener("abort", () => void this.stop(), { once: true });
    },
    async stop() {
      const running = server;
      server = undefined;
      await running?.close();
    },
  };
}
