/**
 * Bot: the middleware stack plus the one way in (`handleUpdate`), error handling and the transport's
 * lifecycle. It never knows which transport is running.
 * @module
 */
import {
  AppClient,
  type AppClientOptions,
  type Cards,
  type Media,
  resolveBaseUrls,
} from "../client/index.js";
import { BotError, ValidationError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import { type CardCallbackResponse, parseCardCallback } from "../protocol/api/cards.js";
import { formatIssues } from "../protocol/validate.js";
import { redactText } from "../redact.js";
import {
  CardActionContext,
  type CardActionHandler,
  type CardActionTrigger,
  matchesAction,
} from "./card-action.js";
import type { StreamTimer } from "./card-stream.js";
import { Composer, type MiddlewareFn } from "./composer.js";
import { Context, type ContextCardServices } from "./context.js";
import type { ContextMediaServices } from "./download.js";
import { dedupeWith } from "./middleware/dedupe.js";
import { type DedupeOptions, MsgIdCache } from "./msg-id-cache.js";
import { type ApiFallback, Replier, type ReplierConfig } from "./replier.js";
import type { Responder, Transport, TransportHooks, Update } from "./transports/transport.js";

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
  /**
   * The card API behind `ctx.replyStream` and `ctx.replyCard` (e.g. `appClient.cards`, to share its token
   * cache). Default: built on first use from appKey and appSecret.
   */
  cards?: Cards;
  /**
   * Card calls allowed per API per second for the card client the bot builds (default 20, DingTalk's figure
   * for standard organisations); with the `cards` option, that client's own setting applies.
   */
  cardQps?: number;
  /** Clock and timers of streamed card replies (default the process's; tests pass a manual one). */
  streamTimer?: StreamTimer;
  /**
   * The media API behind `ctx.download` and `ctx.replyImage/replyFile/replyAudio/replyVideo` (e.g.
   * `appClient.media`, to share its token cache). Default: built on first use from appKey and appSecret.
   */
  media?: Media;
}

/** Handles errors thrown by middleware; `error.ctx` is the bot's context type. */
export type BotErrorHandler<C extends Context = Context> = (error: BotError<C>) => unknown;

const DEFAULT_REPLY_TIMEOUT_MS = 10_000;
/** How many distinct unrecognised msgtypes a bot logs at most. */
const MAX_UNRECOGNIZED_LOGGED = 100;
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
  readonly #actions: { trigger: CardActionTrigger; handler: CardActionHandler }[] = [];
  #cards: Cards | undefined;
  #cardServices!: ContextCardServices;
  #media: Media | undefined;
  #mediaServices!: ContextMediaServices;
  /** msgtypes already logged as unrecognised: one info line per kind, not one per message. */
  readonly #unrecognized = new Set<string>();
  /** The msgId memory of the default de-duplication (none with `dedupe: false`), shared with transports. */
  #seen: MsgIdCache | undefined;

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
      this.#seen = new MsgIdCache({ now: () => this.#config.now(), ...(options.dedupe ?? {}) });
      this.use(dedupeWith(this.#seen));
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
    if (update.message.msgtype === "unknown") this.#noteUnrecognized(update.message.originalMsgtype);
    const replier = new Replier(update, responder, this.#config);
    const ctx = new this.#ContextConstructor(
      update,
      replier,
      this.#config.logger,
      this.#config.robotCode,
      this.#cardServices,
      this.#mediaServices,
    );
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
   * Handles card callbacks (someone pressed a button on a card) whose actionIds match: an actionId, a
   * RegExp over the actionIds, or a predicate. The first matching handler runs; what it passes to
   * `ctx.updateCard` becomes the callback's answer.
   * @example
   * bot.action("approve", (ctx) => ctx.updateCard({ status: `approved by ${ctx.card.userId}` }));
   * bot.action(/^vote:(\w+)$/, (ctx) => ctx.updateCard({}, { myVote: ctx.match?.[1] ?? "" }));
   */
  action(trigger: CardActionTrigger, handler: CardActionHandler): this {
    this.#actions.push({ trigger, handler });
    return this;
  }

  /**
   * Runs one card callback (what DingTalk sends on Stream topic `/v1.0/card/instances/callback`, or posts
   * in HTTP mode) through the `bot.action` handlers. The way in for transports.
   * @param body - the callback, parsed or as JSON text (a Stream frame's `data`)
   * @returns the answer for DingTalk (the Stream ACK's `data` is `JSON.stringify({ response })`), or
   *   undefined when no handler matched or the handler did not call `ctx.updateCard`
   * @throws ValidationError (inbound) for a malformed callback or `content`
   * @throws BotError when the handler threw (after logging it)
   */
  async handleCardCallback(body: unknown): Promise<CardCallbackResponse | undefined> {
    const parsed = parseCardCallback(body);
    if (!parsed.ok) {
      throw new ValidationError(
        `malformed card callback: ${formatIssues(parsed.issues)}`,
        parsed.issues,
        "inbound",
        {
          secrets: this.#config.secrets,
        },
      );
    }
    const ctx = new CardActionContext(parsed.value, this.#config.logger, () => this.#cardApi());
    for (const { trigger, handler } of this.#actions) {
      let matched: boolean;
      let error: unknown;
      try {
        matched = matchesAction(trigger, ctx);
        if (matched) await handler(ctx);
      } catch (thrown) {
        matched = true;
        error = thrown;
      }
      if (error !== undefined) {
        const botError = new BotError(error, ctx, { secrets: this.#config.secrets });
        this.#config.logger.error(
          { outTrackId: ctx.card.outTrackId, err: redactText(botError.message, this.#config.secrets) },
          "card action handler failed",
        );
        throw botError;
      }
      if (matched) return ctx.response;
    }
    this.#config.logger.debug(
      { outTrackId: ctx.card.outTrackId, actionIds: ctx.card.actionIds },
      "no card action handler matched",
    );
    return undefined;
  }

  /**
   * Starts receiving updates through a transport; resolves once it is receiving. Register `bot.action`
   * handlers before: the transport learns here whether to take card callbacks.
   * @example
   * await bot.start(httpServerTransport({ appSecret, port: 3000 }));
   */
  async start(transport: Transport): Promise<void> {
    if (this.#transport) throw new Error("the bot is already running; call stop() first");
    this.#transport = transport;
    this.#abort = new AbortController();
    // Card callbacks only with an action handler: the Stream transport subscribes to their topic only then.
    const hooks: TransportHooks = {
      ...(this.#actions.length > 0 ? { cardCallback: (body: unknown) => this.handleCardCallback(body) } : {}),
      ...(this.#seen ? { seen: this.#seen } : {}),
    };
    await transport.start(
      (update, responder) => this.handleUpdate(update, responder),
      this.#abort.signal,
      hooks,
    );
  }

  /** Stops the transport started by {@link start}. */
  async stop(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
    await transport?.stop();
  }

  /** Logs a msgtype dingbot does not know the first time it arrives; the message is delivered anyway. */
  #noteUnrecognized(msgtype: string): void {
    // Capped: msgtypes come from the network, and the set must not grow without bound.
    if (this.#unrecognized.has(msgtype) || this.#unrecognized.size >= MAX_UNRECOGNIZED_LOGGED) return;
    this.#unrecognized.add(msgtype);
    this.#config.logger.info(
      { msgtype: msgtype.slice(0, 64) },
      'a msgtype dingbot does not know arrived; handlers get it as msgtype "unknown"',
    );
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
    // Options may have changed (configure): a card client built from the old ones is dropped.
    this.#cards = o.cards;
    this.#cardServices = {
      cards: () => this.#cardApi(),
      ...(o.streamTimer ? { timer: o.streamTimer } : {}),
    };
    // As for cards: options may have changed, a media client built from the old ones is dropped.
    this.#media = o.media;
    this.#mediaServices = { media: () => this.#mediaApi() };
  }

  /** The media API: the `media` option, or an app client built once from the credentials. */
  #mediaApi(): Media {
    if (this.#media) return this.#media;
    this.#media = this.#appClient("media needs the bot's appKey and appSecret (or the media option)").media;
    return this.#media;
  }

  /** The card API: the `cards` option, or an app client built once from the credentials. */
  #cardApi(): Cards {
    if (this.#cards) return this.#cards;
    const o = this.#options;
    this.#cards = this.#appClient("cards need the bot's appKey and appSecret (or the cards option)", {
      // Card calls are paced per app and API by the client (shared with any AppClient of the same app) and
      // never resent underneath; the card streamer's budget decides about a refusal, with the latest text.
      ...(o.cardQps === undefined ? {} : { cardQps: o.cardQps }),
    }).cards;
    return this.#cards;
  }

  /**
   * A new app client from the bot's credentials and options, for a feature whose own option was not given.
   * @param reason - the ValidationError's message when the bot has no appKey or appSecret
   * @param extra - options of this feature only
   */
  #appClient(reason: string, extra: Partial<AppClientOptions> = {}): AppClient {
    const o = this.#options;
    if (!o.appKey || !o.appSecret) {
      throw new ValidationError(reason, [{ path: "appKey", message: reason }], "outbound");
    }
    return new AppClient({
      appKey: o.appKey,
      appSecret: o.appSecret,
      ...(o.robotCode ? { robotCode: o.robotCode } : {}),
      ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...extra,
    });
  }
}
