/**
 * Bot: the middleware stack plus the one way in (`handleUpdate`), error handling and the transport's
 * lifecycle. It never knows which transport is running.
 * @module
 */
import { resolveBaseUrls } from "../client/index.js";
import { BotError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import { redactText } from "../redact.js";
import { Composer, type MiddlewareFn } from "./composer.js";
import { Context } from "./context.js";
import { type DedupeOptions, dedupe } from "./middleware/dedupe.js";
import { type ApiFallback, Replier, type ReplierConfig } from "./replier.js";
import type { Responder, Transport, Update } from "./transports/transport.js";

/**
 * Builds the context of each message; a subclass of {@link Context} adds your own properties and methods
 * (grammY's `ContextConstructor`). It receives the arguments of Context's constructor, to pass on to `super`.
 */
export type ContextConstructor<C extends Context> = new (...args: ConstructorParameters<typeof Context>) => C;

/** Options of {@link Bot}. Every field is optional; `dingbot serve` fills the credentials from env. */
export interface BotOptions<C extends Context = Context> {
  /**
   * The class of `ctx` (default {@link Context}). Pass your subclass together with the type parameter:
   * `new Bot<MyContext>({ ContextConstructor: MyContext })`.
   */
  ContextConstructor?: ContextConstructor<C>;
  /** The app's appKey (also the robotCode of internal apps). */
  appKey?: string;
  /** The app's appSecret; used by the OpenAPI fallback, never logged. */
  appSecret?: string;
  /** Robot code used when a message carries none (defaults to appKey). */
  robotCode?: string;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Clock, epoch ms (sessionWebhook expiry, dedupe TTL). */
  now?: () => number;
  /** Host standing in for DingTalk (the emulator); default `DINGTALK_BASE_URL` or DingTalk itself. */
  baseUrl?: string;
  /** Time limit of one sessionWebhook POST, in ms (default 10 000). */
  replyTimeoutMs?: number;
  /** Replies through the robot OpenAPI once the sessionWebhook expired. */
  apiFallback?: ApiFallback;
  /** msgId de-duplication (on by default); `false` turns it off. */
  dedupe?: DedupeOptions | false;
}

/** Handles errors thrown by middleware; `error.ctx` is the bot's context type. */
export type BotErrorHandler<C extends Context = Context> = (error: BotError<C>) => unknown;

const DEFAULT_REPLY_TIMEOUT_MS = 10_000;
const done: () => Promise<void> = async () => {};

/**
 * A DingTalk robot: add middleware, then run it with a transport. `C` is the type of `ctx`, a subclass
 * of {@link Context} given as the `ContextConstructor` option.
 * @example
 * const bot = new Bot();
 * bot.hears("ping", (ctx) => ctx.replyText("pong", { at: true }));
 * export default bot; // dingbot serve bot.ts --port 3000
 * @example
 * class MyContext extends Context {
 *   shout(text: string) { return this.replyText(text.toUpperCase()); }
 * }
 * const bot = new Bot<MyContext>({ ContextConstructor: MyContext });
 * bot.command("/shout", (ctx) => ctx.shout(ctx.text ?? ""));
 */
export class Bot<C extends Context = Context> extends Composer<C> {
  #options: BotOptions<C>;
  #config!: ReplierConfig;
  readonly #ContextConstructor: ContextConstructor<C>;
  #errorHandler: BotErrorHandler<C> | undefined;
  #transport: Transport | undefined;
  #abort: AbortController | undefined;

  /**
   * @param options - credentials, injected fetch/clock/logger, delivery settings
   * @throws TypeError for an invalid option (baseUrl not http(s), replyTimeoutMs not positive)
   */
  constructor(options: BotOptions<C> = {}) {
    super();
    // Without the option C is Context (the type parameter's default), so the cast only names that case.
    this.#ContextConstructor = options.ContextConstructor ?? (Context as unknown as ContextConstructor<C>);
    this.#options = { ...options };
    this.#resolve();
    if (options.dedupe !== false) {
      this.use(dedupe({ now: () => this.#config.now(), ...(options.dedupe ?? {}) }));
    }
  }

  /** The logger the bot writes to. */
  get logger(): Logger {
    return this.#config.logger;
  }

  /**
   * Fills in options the bot was constructed without; options the bot's author set win.
   * `dingbot serve` uses it to inject credentials, the base URL and its logger.
   * @throws TypeError for an invalid option
   */
  configure(defaults: Omit<BotOptions, "dedupe" | "ContextConstructor">): this {
    const merged: BotOptions<C> = { ...this.#options };
    for (const [key, value] of Object.entries(defaults) as [keyof BotOptions<C>, unknown][]) {
      if (merged[key] === undefined && value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    this.#options = merged;
    this.#resolve();
    return this;
  }

  /** Sets the handler for errors thrown by middleware (default: log them). */
  catch(handler: BotErrorHandler<C>): this {
    this.#errorHandler = handler;
    return this;
  }

  /**
   * Runs one update through the middleware. The only way in, for every transport.
   * @throws BotError when middleware threw, after `bot.catch`'s handler ran, so the transport can
   *   report failure (the HTTP transport answers 500)
   */
  async handleUpdate(update: Update, responder: Responder): Promise<void> {
    const replier = new Replier(update, responder, this.#config);
    const ctx = new this.#ContextConstructor(update, replier, this.#config.logger, this.#config.robotCode);
    const run: MiddlewareFn<C> = this.middleware();
    try {
      await run(ctx, done);
    } catch (error) {
      const botError =
        error instanceof BotError
          ? (error as BotError<C>)
          : new BotError(error, ctx, { secrets: this.#config.secrets });
      await this.#reportError(botError, update.id);
      throw botError;
    }
  }

  /**
   * Starts receiving updates through a transport; resolves once it is receiving.
   * @example
   * await bot.start(httpServerTransport({ appSecret, port: 3000 }));
   */
  async start(transport: Transport): Promise<void> {
    if (this.#transport) throw new Error("the bot is already running; call stop() first");
    this.#transport = transport;
    this.#abort = new AbortController();
    await transport.start((update, responder) => this.handleUpdate(update, responder), this.#abort.signal);
  }

  /** Stops the transport started by {@link start}. */
  async stop(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
    await transport?.stop();
  }

  async #reportError(error: BotError<C>, msgId: string): Promise<void> {
    if (!this.#errorHandler) {
      this.#config.logger.error(
        { msgId, err: redactText(error.message, this.#config.secrets) },
        "bot handler failed",
      );
      return;
    }
    try {
      await this.#errorHandler(error);
    } catch (handlerError) {
      const message = handlerError instanceof Error ? handlerError.message : String(handlerError);
      this.#config.logger.error(
        { msgId, err: redactText(message, this.#config.secrets) },
        "bot.catch handler threw",
      );
    }
  }

  /** Validates the options and resolves them once into the replier's fully-specified config. */
  #resolve(): void {
    const o = this.#options;
    const replyTimeoutMs = o.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
    if (!(replyTimeoutMs > 0)) throw new TypeError("replyTimeoutMs must be a positive number of ms");
    const oapiBase = resolveBaseUrls(o.baseUrl).oapi;
    this.#config = {
      // Undefined: replies go out over the client's keep-alive node:http(s) path, like the webhook client.
      fetch: o.fetch,
      now: o.now ?? Date.now,
      logger: o.logger ?? silentLogger,
      oapiBase,
      replyTimeoutMs,
      apiFallback: o.apiFallback,
      robotCode: o.robotCode ?? o.appKey,
      secrets: [o.appSecret],
    };
  }
}
