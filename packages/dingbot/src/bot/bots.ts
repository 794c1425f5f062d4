/**
 * Several app robots in one process: {@link Bots} serves each bot with its own credentials over one HTTP
 * port (a path each, or one shared path where the signature tells the apps apart) or over Stream (one
 * connection per app). Each bot keeps its own `Bot` instance, so its replies leave with its own robotCode,
 * sessionWebhook and token, and one bot's failure stays its own.
 * @module
 */
import type { Logger } from "../logger.js";
import { verifySignature } from "../protocol/signing.js";
import type { ApiFallback } from "./replier.js";
import { type BotLike, httpTransport } from "./transports/http.js";
import {
  CALL_HANDLER,
  HEALTH_PATH,
  type HttpAnswer,
  type HttpCall,
  type HttpCallHandler,
  type HttpTransportOptions,
} from "./transports/http-core.js";
import { listenHttp, type RunningHttpServer } from "./transports/http-node.js";
import type { StreamState } from "./transports/stream/connection.js";
import {
  type StreamTransport,
  type StreamTransportOptions,
  streamTransport,
} from "./transports/stream/stream-transport.js";
import type { Transport } from "./transports/transport.js";

/**
 * What {@link Bots} needs from a bot: a `Bot` fits, also one loaded from another copy of dingbot (a bot
 * file run by `dingbot serve` may import its own), which is why this is a shape and not the class.
 */
export interface BotsMember extends BotLike {
  /** Fills options the bot was built without (a `Bot`'s `configure`). */
  configure(defaults: {
    appKey?: string | undefined;
    appSecret?: string | undefined;
    robotCode?: string | undefined;
    logger?: Logger | undefined;
    baseUrl?: string | undefined;
    fetch?: typeof fetch | undefined;
    apiFallback?: ApiFallback | undefined;
  }): unknown;
  start(transport: Transport): Promise<void>;
  stop(): Promise<void>;
}

/** Credentials and routes of one bot in {@link Bots}. */
export interface BotsEntryOptions {
  /** The app's AppKey: the Stream `clientId`, and the robotCode of an internal app's robot. */
  appKey?: string | undefined;
  /** The app's AppSecret: the HTTP callback signature's key, the Stream `clientSecret`. Never logged. */
  appSecret?: string | undefined;
  /** The robot's code when it is not the appKey. */
  robotCode?: string | undefined;
  /**
   * The HTTP callback path (default `/<name>`). Several bots may share a path: each callback then goes to
   * the bot whose appSecret its signature was made with.
   */
  path?: string | undefined;
  /** Where this bot's card callbacks come (default `<path>/card-callback`); needs `cardApiSecret`. */
  cardPath?: string | undefined;
  /** The `apiSecret` this bot's card callback URL was registered with; without it no card path is served. */
  cardApiSecret?: string | undefined;
}

/** One bot of {@link Bots}, as added, with its resolved HTTP path. */
export interface BotsEntry extends Readonly<BotsEntryOptions> {
  readonly name: string;
  readonly bot: BotsMember;
  /** The HTTP callback path, normalised (no trailing slash). */
  readonly path: string;
}

/** Options of {@link Bots.httpHandler}: the HTTP transport's, minus what each bot has its own of. */
export type BotsHttpOptions = Omit<HttpTransportOptions, "appSecret" | "path" | "cardPath" | "cardApiSecret">;

/** The handler {@link Bots.httpHandler} returns: a Fetch-style handler, fast under `toNodeListener`. */
export interface BotsHttpHandler {
  (request: Request): Promise<Response>;
  /** The server-independent core (what `toNodeListener` feeds node's requests into). */
  readonly [CALL_HANDLER]: HttpCallHandler;
  /**
   * Serves every bot on one node:http server, with the single-bot server's limits (request timeout, 408…).
   * @param port - default 3000; 0 picks a free port
   * @param host - default 127.0.0.1
   */
  listen(port?: number, host?: string): Promise<RunningHttpServer>;
}

/** Options of {@link Bots.startStream}: the Stream transport's, minus the credentials each bot has. */
export interface BotsStreamOptions
  extends Omit<StreamTransportOptions, "clientId" | "clientSecret" | "onStateChange" | "logger"> {
  /** Receives each bot's lines, tagged with `bot: <name>`. */
  logger?: Logger;
  /** Each bot's state changes. */
  onStateChange?: (name: string, state: StreamState) => void;
  /**
   * A bot whose connection stopped on its own after it had started (its secret was revoked): the others
   * keep running.
   */
  onStopped?: (name: string, error: unknown) => void;
}

/** What {@link Bots.startStream} resolves with once every bot's start settled. */
export interface BotsStreamStart {
  /** Bots whose first connection opened. */
  started: string[];
  /** Bots that could not start (credentials refused, a bad option), with why; the others run on. */
  failed: { name: string; error: unknown }[];
  /** Each bot's transport, for its `state` and `stats`. */
  transports: Record<string, StreamTransport>;
}

/** Marks a {@link Bots}, across copies of dingbot (`dingbot serve` loads the user's file with its own). */
export const BOTS_BRAND: unique symbol = Symbol.for("dingbot.bots");

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const UNKNOWN_PATH: HttpAnswer = { status: 404, body: '{"error":"no robot at this path"}' };
const HEALTHY: HttpAnswer = { status: 200, body: '{"status":"ok"}' };

/**
 * Several app robots in one process. Each bot is added with its own name and credentials; its HTTP path
 * is `/<name>` unless given. Serve them with {@link Bots.listen} / {@link Bots.httpHandler} (one port) or
 * {@link Bots.startStream} (one Stream connection per app). `dingbot serve file.ts` serves a default export
 * that is a `Bots`.
 * @example
 * const sales = new Bot();
 * sales.on("text", (ctx) => ctx.replyText("sales here"));
 * const ops = new Bot();
 * ops.on("text", (ctx) => ctx.replyText("ops here"));
 * const bots = new Bots()
 *   .add("sales", sales, { appKey: process.env.SALES_KEY, appSecret: process.env.SALES_SECRET })
 *   .add("ops", ops, { appKey: process.env.OPS_KEY, appSecret: process.env.OPS_SECRET });
 * await bots.listen(3000); // DingTalk posts to /sales and /ops
 * export default bots;    // or: dingbot serve bots.ts
 */
export class Bots {
  /** Lets `dingbot serve` recognise a Bots made by another copy of dingbot. */
  readonly [BOTS_BRAND] = true;
  readonly #entries = new Map<string, BotsEntry>();
  readonly #running = new Set<BotsMember>();

  /**
   * Adds a bot. Its credentials are given to it (`bot.configure`), so its replies, cards and media go out
   * as this app; options the bot was constructed with win.
   * @param name - letters, digits, `-` and `_`; names its path, its log lines and (in `dingbot serve`) its env
   * @throws TypeError for a bad or repeated name, a bad path, or a card path another bot already has
   */
  add(name: string, bot: BotsMember, options: BotsEntryOptions = {}): this {
    if (!NAME.test(name)) {
      throw new TypeError(
        `bot name ${JSON.stringify(name)} must be 1-64 letters, digits, "-" or "_", starting with a letter or digit`,
      );
    }
    if (this.#entries.has(name)) throw new TypeError(`there is already a bot named ${JSON.stringify(name)}`);
    const path = normalisePath(options.path ?? `/${name}`);
    if (!path.startsWith("/")) throw new TypeError(`path of bot ${name} must start with "/"`);
    const cardPath = options.cardApiSecret
      ? normalisePath(options.cardPath ?? `${path === "/" ? "" : path}/card-callback`)
      : undefined;
    for (const other of this.#entries.values()) {
      if (cardPath && (cardPath === other.path || cardPath === other.cardPath)) {
        throw new TypeError(`card path ${cardPath} of bot ${name} is already used by bot ${other.name}`);
      }
      if (other.cardPath && other.cardPath === path) {
        throw new TypeError(`path ${path} of bot ${name} is the card path of bot ${other.name}`);
      }
    }
    const entry: BotsEntry = { ...options, name, bot, path, ...(cardPath ? { cardPath } : {}) };
    this.#entries.set(name, entry);
    if (options.appKey !== undefined || options.appSecret !== undefined || options.robotCode !== undefined) {
      bot.configure({
        appKey: options.appKey,
        appSecret: options.appSecret,
        robotCode: options.robotCode ?? options.appKey,
      });
    }
    return this;
  }

  /** How many bots there are. */
  get size(): number {
    return this.#entries.size;
  }

  /** The bot named `name`, with its options. */
  get(name: string): BotsEntry | undefined {
    return this.#entries.get(name);
  }

  /** Every bot, in the order added. */
  entries(): BotsEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * One HTTP handler for every bot: a callback goes to the bot whose path it was posted to; on a path
   * several bots share, to the one whose appSecret signed it (checked from the headers, before the body
   * is read). Anything else is 404 `no robot at this path`; `GET /healthz` is 200. Each bot's callbacks
   * are then checked and answered exactly as `httpCallbackHandler` does, so a handler that throws gets
   * its own 500 and the other bots never notice.
   * @param options - shared settings: timeoutMs, maxBodyBytes, requestTimeoutMs, replay, now, logger
   * @throws TypeError when a bot has no appSecret, or two bots on one path have the same one
   */
  httpHandler(options: BotsHttpOptions = {}): BotsHttpHandler {
    if (this.#entries.size === 0) throw new TypeError("no bots: add one with bots.add(name, bot, options)");
    const byPath = new Map<
      string,
      { entry: BotsEntry; web: (r: Request) => Promise<Response>; core: HttpCallHandler }[]
    >();
    for (const entry of this.#entries.values()) {
      if (!entry.appSecret) {
        throw new TypeError(`bot ${entry.name} has no appSecret: DingTalk signs its callbacks with it`);
      }
      const web = httpTransport(entry.bot, {
        ...options,
        appSecret: entry.appSecret,
        path: entry.path,
        ...(entry.cardPath ? { cardPath: entry.cardPath, cardApiSecret: entry.cardApiSecret } : {}),
        ...(options.logger ? { logger: tagged(options.logger, entry.name) } : {}),
      });
      const route = { entry, web, core: web[CALL_HANDLER] };
      for (const path of entry.cardPath ? [entry.path, entry.cardPath] : [entry.path]) {
        const shared = byPath.get(path) ?? [];
        if (shared.some((other) => other.entry.appSecret === entry.appSecret)) {
          throw new TypeError(
            `bots ${shared[0]?.entry.name} and ${entry.name} share path ${path} and their appSecret: give them different paths`,
          );
        }
        shared.push(route);
        byPath.set(path, shared);
      }
    }
    const now = options.now ?? Date.now;
    const logger = options.logger;
    // On a shared path the signature (timestamp, sign) names the app; a call signed by none goes to the
    // first bot there, whose transport answers it 401/403 with the usual reason.
    const pick = <T extends { entry: BotsEntry }>(
      routes: T[],
      header: (name: string) => string | null | undefined,
    ): T => {
      if (routes.length === 1) return routes[0] as T;
      const timestamp = header("timestamp");
      const sign = header("sign");
      return (
        routes.find((r) => verifySignature(r.entry.appSecret ?? "", timestamp, sign, now()).ok) ??
        (routes[0] as T)
      );
    };
    // No robot's path: a readiness probe, or a stranger (answered before a byte of the body is read).
    const unrouted = (path: string, method: string): HttpAnswer => {
      if (path === HEALTH_PATH && (method === "GET" || method === "HEAD")) return HEALTHY;
      logger?.warn({ status: 404, reason: "path" }, "callback rejected");
      return UNKNOWN_PATH;
    };
    const core: HttpCallHandler = (call: HttpCall) => {
      const path = normalisePath(call.path);
      const routes = byPath.get(path);
      if (routes) return pick(routes, (name) => call.header(name)).core(call);
      return Promise.resolve(unrouted(path, call.method));
    };
    const web = async (request: Request): Promise<Response> => {
      let path = "/";
      try {
        path = normalisePath(new URL(request.url).pathname);
      } catch {
        // A Request always has an absolute URL; an odd one is simply not a robot's path.
      }
      const routes = byPath.get(path);
      if (routes) return pick(routes, (name) => request.headers.get(name)).web(request);
      const answer = unrouted(path, request.method);
      return new Response(answer.body, {
        status: answer.status,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    };
    return Object.assign(web, {
      [CALL_HANDLER]: core,
      listen: (port = 3000, host = "127.0.0.1") =>
        listenHttp(core, port, host, logger, { requestTimeoutMs: options.requestTimeoutMs }),
    });
  }

  /**
   * Serves every bot on one node:http server (see {@link Bots.httpHandler}).
   * @param port - default 3000; 0 picks a free port
   * @param host - default 127.0.0.1
   * @param options - shared HTTP settings
   * @example
   * const server = await bots.listen(3000, "0.0.0.0", { logger });
   */
  listen(port = 3000, host = "127.0.0.1", options: BotsHttpOptions = {}): Promise<RunningHttpServer> {
    return this.httpHandler(options).listen(port, host);
  }

  /**
   * Starts every bot in Stream mode, one connection per app, all at once. A bot whose credentials are
   * refused is reported in `failed` (and logged) and the others run on; {@link Bots.stop} stops them all.
   * @param options - shared Stream settings (baseUrl, logger, ack…), and per-bot callbacks
   * @throws TypeError before anything starts when a bot has no appKey or appSecret, or an option is bad
   */
  async startStream(options: BotsStreamOptions = {}): Promise<BotsStreamStart> {
    if (this.#entries.size === 0) throw new TypeError("no bots: add one with bots.add(name, bot, options)");
    // A second start would make each bot.start throw, and the clean-up below would stop the running bots.
    if (this.#running.size > 0) throw new Error("the bots are already running; call stop() first");
    const { onStateChange, onStopped, logger, ...shared } = options;
    const transports: Record<string, StreamTransport> = {};
    for (const entry of this.#entries.values()) {
      if (!entry.appKey || !entry.appSecret) {
        throw new TypeError(
          `bot ${entry.name} needs its appKey and appSecret for Stream mode (the connection's clientId and clientSecret)`,
        );
      }
      transports[entry.name] = streamTransport({
        ...shared,
        clientId: entry.appKey,
        clientSecret: entry.appSecret,
        ...(logger ? { logger: tagged(logger, entry.name) } : {}),
        ...(onStateChange ? { onStateChange: (state: StreamState) => onStateChange(entry.name, state) } : {}),
      });
    }
    const outcomes = await Promise.all(
      this.entries().map(async (entry) => {
        const transport = transports[entry.name] as StreamTransport;
        this.#running.add(entry.bot);
        try {
          await entry.bot.start(transport);
        } catch (error) {
          logger?.error({ bot: entry.name, err: errorText(error) }, "bot could not start");
          await entry.bot.stop().catch(() => {});
          this.#running.delete(entry.bot);
          return { name: entry.name, error };
        }
        transport.finished.catch((error: unknown) => {
          logger?.error({ bot: entry.name, err: errorText(error) }, "bot stopped");
          onStopped?.(entry.name, error);
        });
        return { name: entry.name };
      }),
    );
    return {
      started: outcomes.filter((o) => !("error" in o)).map((o) => o.name),
      failed: outcomes.filter((o): o is { name: string; error: unknown } => "error" in o),
      transports,
    };
  }

  /** Stops every bot {@link Bots.startStream} started, in parallel. */
  async stop(): Promise<void> {
    const running = [...this.#running];
    this.#running.clear();
    await Promise.all(running.map((bot) => bot.stop()));
  }
}

/** Whether `value` is a {@link Bots}, from this copy of dingbot or another. */
export function isBots(value: unknown): value is Bots {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[BOTS_BRAND] === true &&
    typeof (value as { entries?: unknown }).entries === "function"
  );
}

function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** The error's message only: a bot's error can carry a request, and its message is already redacted. */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A logger whose lines carry `bot: <name>`, so one process's log tells its robots apart. pino's `child`
 * when there is one (it binds the field once); otherwise each line is copied with the field added.
 */
function tagged(logger: Logger, name: string): Logger {
  const child = (logger as { child?: (bindings: object) => Logger }).child;
  if (typeof child === "function") return child.call(logger, { bot: name });
  return {
    debug: (obj, msg) => logger.debug({ bot: name, ...obj }, msg),
    info: (obj, msg) => logger.info({ bot: name, ...obj }, msg),
    warn: (obj, msg) => logger.warn({ bot: name, ...obj }, msg),
    error: (obj, msg) => logger.error({ bot: name, ...obj }, msg),
  };
}
