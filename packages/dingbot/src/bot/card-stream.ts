/**
 * Streaming text into a card without tripping DingTalk's limits: {@link CardStreamer} coalesces the chunks of
 * a source into full snapshots (`isFull: true`), at most one request in flight and at most one every
 * `minIntervalMs`, always the latest text; {@link streamAiCard} drives the official AI card around it
 * (create → "inputting" → streamed text → "finished", or "failed" when the source throws) and falls back to
 * one markdown reply holding the whole text when DingTalk refuses the card, so a person always gets the
 * answer.
 *
 * Why full snapshots: a lost or refused call then costs nothing, the next one carries everything; and a
 * slow DingTalk never queues a backlog, because only the latest text is ever waiting.
 * Everything time-related goes through an injected {@link StreamTimer}, so tests drive it step by step.
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  type AppClient,
  type CardData,
  type CardHandle,
  type CardTarget,
  jsonStringCost,
  type RetryPolicy,
  splitText,
  withRetry,
} from "../client/index.js";
import {
  ApiError,
  DingTalkError,
  type ErrorCode,
  HttpError,
  RequestError,
  ValidationError,
} from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import { AI_CARD_FLOW_STATUS, AI_CARD_KEYS, AI_CARD_TEMPLATE_ID } from "../protocol/api/cards.js";
import { robotMessage } from "../protocol/api/msg-keys.js";
import { ROBOT_MSG_PARAM_MAX_BYTES } from "../protocol/api/robot.js";

/** The clock and timers of a streamer (the real ones by default; tests pass a manual one). */
export interface StreamTimer {
  /** Epoch ms. */
  now(): number;
  /** Runs `fn` after `ms`; returns a handle for {@link clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer from {@link setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/** The process's clock and timers. */
export const realStreamTimer: StreamTimer = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** How refused card requests are retried before the streamer gives up (and the AI card falls back). */
export interface CardRetryBudget {
  /** Extra attempts of one request after a refusal (default 2). */
  retries: number;
  /** First wait in ms, doubling each time (default 1000, DingTalk's advice for throttling). */
  baseDelayMs: number;
  /** Longest wait in ms (default 4000). */
  maxDelayMs: number;
}

/** Default {@link CardRetryBudget}: three attempts within about 3 s of waiting. */
export const DEFAULT_CARD_RETRY: CardRetryBudget = Object.freeze({
  retries: 2,
  baseDelayMs: 1000,
  maxDelayMs: 4000,
});

/** Default time between two streaming requests of one card, in ms. */
export const DEFAULT_STREAM_INTERVAL_MS = 300;

/** Sends one snapshot: the whole text so far. */
export type StreamSend = (content: string, flags: { isFinalize: boolean; isError: boolean }) => Promise<void>;

/** Options of {@link CardStreamer}. */
export interface CardStreamerOptions {
  /** Least time between the starts of two requests, in ms (default 300). */
  minIntervalMs?: number;
  timer?: StreamTimer;
  /** Retries of a refused request (default {@link DEFAULT_CARD_RETRY}). */
  retry?: Partial<CardRetryBudget>;
  logger?: Logger;
}

/** DingTalk kept refusing a card's streaming after the retry budget; `cause` is the last refusal. */
export class CardStreamRefusedError extends DingTalkError {
  readonly code: ErrorCode = "DT_API_ERROR";
  /** @param cause - the last refusal */
  constructor(cause: unknown) {
    super(
      `the card refused streaming after its retries: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * Coalesces a growing text into card streaming requests. Push chunks as they come; the streamer sends the
 * latest full text at most once per `minIntervalMs` and never while a request is in flight; `finish()`
 * sends the last one with `isFinalize: true`.
 * @example
 * const streamer = new CardStreamer((content, flags) => card.streamContent("msgContent", content, flags));
 * streamer.start();
 * for await (const token of llm) streamer.push(token);
 * await streamer.finish();
 */
export class CardStreamer {
  readonly #send: StreamSend;
  readonly #timer: StreamTimer;
  readonly #minIntervalMs: number;
  readonly #policy: RetryPolicy;
  readonly #logger: Logger;
  /** The text, in pieces until someone needs it whole (joining on every chunk would copy it every time). */
  #chunks: string[] = [];
  #length = 0;
  /** Length of the text the last request carried: the text only grows, so "changed" is "longer". */
  #sentLength = 0;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  #wake: unknown;
  #started = false;
  #finishing = false;
  #refused: unknown;
  #requests = 0;

  /**
   * @param send - sends one snapshot (e.g. `card.streamContent("msgContent", …)`)
   * @param options - interval, timer, retry budget, logger
   */
  constructor(send: StreamSend, options: CardStreamerOptions = {}) {
    this.#send = send;
    this.#timer = options.timer ?? realStreamTimer;
    this.#minIntervalMs = options.minIntervalMs ?? DEFAULT_STREAM_INTERVAL_MS;
    if (!(this.#minIntervalMs >= 0)) throw new TypeError("minIntervalMs must be a number of ms ≥ 0");
    this.#policy = { ...DEFAULT_CARD_RETRY, ...options.retry, retryRateLimited: true };
    this.#logger = options.logger ?? silentLogger;
  }

  /** The whole text pushed so far. */
  get text(): string {
    if (this.#chunks.length > 1) this.#chunks = [this.#chunks.join("")];
    return this.#chunks[0] ?? "";
  }

  /** How many requests were started, retries included. */
  get requests(): number {
    return this.#requests;
  }

  /** The refusal that stopped the streaming, if it stopped. */
  get refused(): unknown {
    return this.#refused;
  }

  /**
   * Appends a chunk of text. Never waits: what DingTalk has not been sent yet is simply part of the
   * next snapshot.
   */
  push(chunk: string): void {
    if (this.#finishing) throw new Error("push() after finish()");
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    this.#kick();
  }

  /** Allows sending (the card exists now); text pushed before is sent at once. */
  start(): void {
    this.#started = true;
    this.#kick();
  }

  /**
   * Waits for the request in flight, then sends the whole text with `isFinalize: true` (respecting the
   * interval), retrying within the budget.
   * @param options - `suffix` appended to the text first (an error line); `isError` for the last request
   * @throws CardStreamRefusedError when DingTalk refused beyond the budget, now or earlier
   */
  async finish(options: { suffix?: string; isError?: boolean } = {}): Promise<void> {
    if (this.#finishing) throw new Error("finish() called twice");
    this.#started = true;
    this.#finishing = true;
    if (this.#wake !== undefined) this.#timer.clearTimeout(this.#wake);
    this.#wake = undefined;
    if (this.#inflight) await this.#inflight;
    if (this.#refused !== undefined) throw new CardStreamRefusedError(this.#refused);
    if (options.suffix) {
      this.#chunks.push(options.suffix);
      this.#length += options.suffix.length;
    }
    const wait = this.#lastSentAt + this.#minIntervalMs - this.#timer.now();
    if (wait > 0) await this.#sleep(wait);
    try {
      await this.#request({ isFinalize: true, isError: options.isError ?? false });
    } catch (error) {
      this.#refused = error;
      throw new CardStreamRefusedError(error);
    }
  }

  /** Sends the latest text if allowed now, or arranges to wake up when it is. */
  #kick(): void {
    if (!this.#started || this.#finishing || this.#inflight || this.#refused !== undefined) return;
    if (this.#length === this.#sentLength || this.#wake !== undefined) return;
    const wait = this.#lastSentAt + this.#minIntervalMs - this.#timer.now();
    if (wait > 0) {
      this.#wake = this.#timer.setTimeout(() => {
        this.#wake = undefined;
        this.#kick();
      }, wait);
      return;
    }
    this.#inflight = this.#request({ isFinalize: false, isError: false }).then(
      () => {
        this.#inflight = undefined;
        this.#kick();
      },
      (error: unknown) => {
        this.#inflight = undefined;
        this.#refused = error;
        this.#logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "card streaming refused beyond the retry budget; stopping",
        );
      },
    );
  }

  /** One request, retried within the budget; each attempt carries the text as it is at that moment. */
  #request(flags: { isFinalize: boolean; isError: boolean }): Promise<void> {
    return withRetry(
      () => {
        this.#lastSentAt = this.#timer.now();
        this.#requests += 1;
        const content = this.text;
        this.#sentLength = this.#length;
        return this.#send(content, flags);
      },
      {
        policy: this.#policy,
        sleep: (ms) => this.#sleep(ms),
        shouldRetry: isWorthRetrying,
        // Never sooner than the interval: a retry is a request like any other.
        delayMs: (n) =>
          Math.max(this.#minIntervalMs, Math.min(this.#policy.maxDelayMs, this.#policy.baseDelayMs * 2 ** n)),
        onRetry: (error, attempt, delayMs) =>
          this.#logger.debug(
            { attempt, delayMs, err: error instanceof Error ? error.message : String(error) },
            "card request refused; retrying",
          ),
      },
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timer.setTimeout(resolve, ms));
  }
}

/**
 * Whether a refused card request may succeed later: throttling (403 `Forbidden.AccessDenied.Qps*`, 429),
 * DingTalk or network trouble. A missing permission or a bad request will not mend itself, so the AI card
 * falls back at once instead of spending the budget.
 */
export function isWorthRetrying(error: unknown): boolean {
  if (error instanceof ValidationError) return false;
  if (error instanceof ApiError || error instanceof HttpError || error instanceof RequestError) {
    return error.retryable;
  }
  return false;
}

/** What {@link streamAiCard} streams: tokens or chunks of text, as an async iterable or a web stream, or a string. */
export type StreamSource = AsyncIterable<string> | ReadableStream<string> | Iterable<string> | string;

/** Options of `ctx.replyStream` and {@link streamAiCard}. */
export interface ReplyStreamOptions {
  /** The card's title (`msgTitle`), also the title of the markdown fallback. */
  title?: string;
  /** Least time between two streaming requests, in ms (default 300). */
  minIntervalMs?: number;
  /** Retries of refused card requests before falling back (default {@link DEFAULT_CARD_RETRY}). */
  retry?: Partial<CardRetryBudget>;
  /** The line appended when the source throws (default a short bilingual notice; never the error's text). */
  errorLine?: string;
  /**
   * Most bytes of text the card holds (JSON-escaped UTF-8, as the card's data is counted; default
   * {@link AI_CARD_TEXT_MAX_BYTES}). A longer answer fills the card up to a paragraph or line boundary,
   * ends it with {@link AI_CARD_OVERFLOW_NOTE}, and the rest follows as markdown messages.
   */
  cardMaxBytes?: number;
}

/**
 * Default {@link ReplyStreamOptions.cardMaxBytes}: 200,000 bytes, below the 256 KiB of card data the emulator
 * allows (DingTalk publishes no figure; docs/protocol-decisions.md, "Card data size"), leaving room for the
 * title and the other variables.
 */
export const AI_CARD_TEXT_MAX_BYTES = 200_000;
/** Ends the card's text when the answer is longer than the card holds. */
export const AI_CARD_OVERFLOW_NOTE = "\n\n…（全文较长，余下内容见后续消息）";
/** The card's text once it failed and the answer went out as markdown messages. */
export const AI_CARD_FALLBACK_NOTE = "⚠️ 回答已作为消息发送 (the answer was sent as messages)";
/**
 * Most bytes of one markdown message's text (JSON-escaped): the robot OpenAPI takes a `msgParam` of at most
 * 15,000 bytes ({@link ROBOT_MSG_PARAM_MAX_BYTES}, the tighter of its limit and the sessionWebhook's 20,000-byte
 * body), less room for the title and the JSON around the text.
 */
export const MARKDOWN_PART_MAX_BYTES = ROBOT_MSG_PARAM_MAX_BYTES - 1000;

/** How a streamed reply reached the person. */
export interface ReplyStreamResult {
  /** `card`: the AI card holds the whole text; `markdown`: the card was refused and a markdown reply was sent. */
  via: "card" | "markdown";
  /** The card's id, when one was created. */
  outTrackId: string | undefined;
  /** Streaming requests started (retries included). */
  requests: number;
  /**
   * Markdown messages sent: with `via: "markdown"` the whole text; with `via: "card"` the rest of an answer
   * longer than the card holds (0 when the card holds it all).
   */
  messages: number;
}

/** What {@link streamAiCard} needs around the streamer. */
export interface AiCardDeps {
  /**
   * Creates and delivers the AI card with its first data. Called again when a retryable refusal (or a
   * timeout) is retried: use the same `outTrackId` each time, so a first attempt that did reach DingTalk is
   * not shown twice.
   */
  open(data: CardData): Promise<CardHandle>;
  /**
   * Sends one markdown message (the card was refused, or the answer is longer than the card holds). Called
   * once per part, in order, each part within {@link MARKDOWN_PART_MAX_BYTES}.
   */
  fallback(title: string, text: string): Promise<unknown>;
  timer?: StreamTimer;
  logger?: Logger;
}

/** Default {@link ReplyStreamOptions.errorLine}. */
export const DEFAULT_STREAM_ERROR_LINE = "⚠️ 回答中断 (the answer was interrupted)";
/** Default title of the AI card's markdown fallback. */
export const DEFAULT_STREAM_TITLE = "回复";

/**
 * Streams a source into DingTalk's AI card (template `382e4302-…`): created "processing" (flowStatus 1),
 * switched to "inputting" (2) with the first text, streamed with coalescing, finalised (`isFinalize`) and
 * marked "finished" (3). A source that throws ends the card "failed" (5) with a short error line, and the
 * source's error is rethrown once the card is closed. When DingTalk refuses the card (creation or streaming,
 * beyond the retry budget) the whole text goes out as one markdown reply instead.
 * @param source - the text, in chunks
 * @param deps - how to open the card and how to fall back
 * @param options - title, interval, retry budget, error line
 * @throws whatever the source threw, after the card (or the fallback) shows the text so far
 * @throws the fallback's own error when the card was refused and the markdown reply failed too
 */
export async function streamAiCard(
  source: StreamSource,
  deps: AiCardDeps,
  options: ReplyStreamOptions = {},
): Promise<ReplyStreamResult> {
  const timer = deps.timer ?? realStreamTimer;
  const logger = deps.logger ?? silentLogger;
  const retry = { ...DEFAULT_CARD_RETRY, ...options.retry };
  const title = options.title ?? DEFAULT_STREAM_TITLE;
  const errorLine = `\n\n${options.errorLine ?? DEFAULT_STREAM_ERROR_LINE}`;
  let handle: CardHandle | undefined;
  let inputting = false;
  const cap = new CardTextCap(options.cardMaxBytes ?? AI_CARD_TEXT_MAX_BYTES);
  let sentFull = false;
  const streamer = new CardStreamer(
    async (content, flags) => {
      if (!handle) throw new Error("the card is not open");
      const view = cap.view(content);
      // Once the card is full, growing text no longer changes it: only the finalizing request goes out.
      if (view.cut !== undefined && sentFull && !flags.isFinalize) return;
      if (!inputting) {
        await handle.update({ [AI_CARD_KEYS.flowStatus]: AI_CARD_FLOW_STATUS.inputting });
        inputting = true;
      }
      await handle.streamContent(AI_CARD_KEYS.content, view.content, flags);
      sentFull = view.cut !== undefined;
    },
    {
      timer,
      logger,
      retry,
      ...(options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs }),
    },
  );
  const policy: RetryPolicy = { ...retry, retryRateLimited: true };
  const sleep = (ms: number) => new Promise<void>((resolve) => timer.setTimeout(resolve, ms));
  const retried = <T>(attempt: () => Promise<T>) =>
    withRetry(attempt, {
      policy,
      sleep,
      shouldRetry: isWorthRetrying,
      delayMs: (n) => Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** n),
    });

  // The card opens while the source is already being read: nothing waits for DingTalk.
  let sourceDone = false;
  const opening = retried(() =>
    deps.open({
      ...(options.title ? { [AI_CARD_KEYS.title]: options.title } : {}),
      [AI_CARD_KEYS.content]: "",
      [AI_CARD_KEYS.flowStatus]: AI_CARD_FLOW_STATUS.processing,
    }),
  ).then(
    (opened) => {
      handle = opened;
      // A source that already ended goes out in the finalising request alone: one request, not two.
      if (!sourceDone) streamer.start();
    },
    (error: unknown) => {
      logger.warn({ err: errorText(error) }, "the AI card was refused; the answer goes out as markdown");
    },
  );

  let failed = false;
  let sourceError: unknown;
  try {
    for await (const chunk of chunksOf(source)) streamer.push(chunk);
  } catch (error) {
    failed = true;
    sourceError = error;
  }
  sourceDone = true;
  await opening;

  const sendParts = (text: string) => sendMarkdownParts(deps, title, text);
  const fallBack = async (card: CardHandle | undefined): Promise<ReplyStreamResult> => {
    // The card would otherwise stay at "inputting" next to the answer: one best-effort update marks it
    // failed. It runs beside the messages and its failure is only logged: the answer must not wait for it.
    const marking = card
      ?.update({
        [AI_CARD_KEYS.content]: AI_CARD_FALLBACK_NOTE,
        [AI_CARD_KEYS.flowStatus]: AI_CARD_FLOW_STATUS.failed,
      })
      .catch((error: unknown) =>
        logger.warn(
          { err: errorText(error), outTrackId: card.outTrackId },
          "could not mark the refused AI card failed",
        ),
      );
    try {
      const messages = await sendParts(failed ? streamer.text + errorLine : streamer.text);
      if (failed) throw sourceError;
      return { via: "markdown", outTrackId: card?.outTrackId, requests: streamer.requests, messages };
    } finally {
      await marking;
    }
  };
  if (!handle) return fallBack(undefined);
  const card = handle;
  try {
    await streamer.finish(failed ? { suffix: errorLine } : {});
  } catch (error) {
    logger.warn(
      { err: errorText(error), outTrackId: card.outTrackId },
      "card streaming refused; sending markdown",
    );
    return fallBack(card);
  }
  const status = failed ? AI_CARD_FLOW_STATUS.failed : AI_CARD_FLOW_STATUS.finished;
  try {
    await retried(() => card.update({ [AI_CARD_KEYS.flowStatus]: status }));
  } catch (error) {
    // The whole text is on the card already (the finalising request went through): only the status is stale.
    logger.warn(
      { err: errorText(error), outTrackId: card.outTrackId },
      "could not set the AI card's final status",
    );
  }
  // What the card could not hold follows as messages, so the person still gets the whole answer.
  const whole = streamer.text;
  const { cut } = cap.view(whole);
  const messages = cut === undefined ? 0 : await sendParts(whole.slice(cut));
  if (failed) throw sourceError;
  return { via: "card", outTrackId: card.outTrackId, requests: streamer.requests, messages };
}

/**
 * Sends a text as markdown messages of at most {@link MARKDOWN_PART_MAX_BYTES} each, cut at paragraph or line
 * boundaries (client/split.ts), titled `title (i/n)` when there are several. One at a time, in order.
 * @returns how many messages were sent
 */
async function sendMarkdownParts(deps: AiCardDeps, title: string, text: string): Promise<number> {
  const budget = Math.max(1000, MARKDOWN_PART_MAX_BYTES - jsonBytes(title));
  const parts = splitInWindows(text, budget);
  for (const [i, part] of parts.entries()) {
    await deps.fallback(parts.length > 1 ? `${title} (${i + 1}/${parts.length})` : title, part);
  }
  return parts.length;
}

/**
 * {@link splitText} over windows of a few parts at a time: splitText keeps 9 bytes per character of its input
 * while it works, which for a 1 MiB answer would be ten times the answer. Each window's last part may be cut
 * short by the window's end, so it is split again with the next window. The parts still join to the text.
 */
function splitInWindows(text: string, maxBytes: number): string[] {
  const parts: string[] = [];
  // Every character costs at least one byte, so a window of 4 × maxBytes characters holds at least 4 parts.
  const windowChars = maxBytes * 4;
  for (let start = 0; start < text.length; ) {
    const window = text.slice(start, start + windowChars);
    const chunks = splitText(window, { maxBytes, cost: jsonStringCost });
    if (start + window.length >= text.length) {
      parts.push(...chunks);
      break;
    }
    const whole = chunks.length > 1 ? chunks.slice(0, -1) : chunks;
    parts.push(...whole);
    for (const chunk of whole) start += chunk.length;
  }
  return parts;
}

function jsonBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1)
    bytes += jsonStringCost(text.charCodeAt(i), text.charCodeAt(i + 1));
  return bytes;
}

/**
 * What of a growing text the AI card shows: all of it while it fits in `maxBytes`, else the longest head that
 * fits with {@link AI_CARD_OVERFLOW_NOTE}, cut at a paragraph or line boundary. The text only grows, so the cut,
 * once found, never moves and is computed once (a 1 MiB answer is not measured again on every snapshot).
 */
class CardTextCap {
  readonly #maxBytes: number;
  #cut: number | undefined;

  constructor(maxBytes: number) {
    if (!(maxBytes >= 1000)) throw new TypeError("cardMaxBytes must be at least 1000");
    this.#maxBytes = maxBytes;
  }

  /** The card's content for `text`, and where the rest starts (undefined when the card holds it all). */
  view(text: string): { content: string; cut: number | undefined } {
    if (this.#cut === undefined) this.#cut = this.#findCut(text);
    if (this.#cut === undefined) return { content: text, cut: undefined };
    return { content: text.slice(0, this.#cut) + AI_CARD_OVERFLOW_NOTE, cut: this.#cut };
  }

  #findCut(text: string): number | undefined {
    // No JSON-escaped code unit costs more than 6 bytes: a text this short fits without measuring.
    if (text.length * 6 <= this.#maxBytes) return undefined;
    let bytes = 0;
    let over = -1;
    for (let i = 0; i < text.length; i += 1) {
      bytes += jsonStringCost(text.charCodeAt(i), text.charCodeAt(i + 1));
      if (bytes > this.#maxBytes) {
        over = i;
        break;
      }
    }
    if (over === -1) return undefined;
    // Only the head is split (never the whole answer): the first part is the card's text.
    const budget = this.#maxBytes - jsonBytes(AI_CARD_OVERFLOW_NOTE);
    return splitText(text.slice(0, over), { maxBytes: budget, cost: jsonStringCost })[0]!.length;
  }
}

/** The chunks of a source, whatever its kind. */
export async function* chunksOf(source: StreamSource): AsyncGenerator<string> {
  if (typeof source === "string") {
    yield source;
    return;
  }
  if (isReadableStream(source)) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield checkChunk(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
  for await (const chunk of source as AsyncIterable<string> | Iterable<string>) yield checkChunk(chunk);
}

function isReadableStream(source: unknown): source is ReadableStream<string> {
  return typeof (source as ReadableStream<string> | undefined)?.getReader === "function";
}

function checkChunk(chunk: unknown): string {
  // A stream of bytes would otherwise print as "104,105": refuse it like any broken source.
  if (typeof chunk !== "string")
    throw new TypeError(`a stream source must yield strings, got ${typeof chunk}`);
  return chunk;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Options of {@link streamIntoCard}. */
export interface StreamIntoCardOptions {
  /** Least time between two streaming requests, in ms (default 300). */
  minIntervalMs?: number;
  /** Retries of refused requests (default {@link DEFAULT_CARD_RETRY}). */
  retry?: Partial<CardRetryBudget>;
  timer?: StreamTimer;
  logger?: Logger;
}

/**
 * Streams a source into one variable of any card, with the same coalescing as the AI card. A source that
 * throws finalises the stream with `isError: true` and the error is rethrown.
 * @param card - a delivered card
 * @param key - the template variable that takes the text
 * @param source - the text, in chunks
 * @returns the number of streaming requests started
 * @throws CardStreamRefusedError when DingTalk refused beyond the retry budget (no fallback here: the
 *   caller knows what else to do with an arbitrary card)
 */
export async function streamIntoCard(
  card: CardHandle,
  key: string,
  source: StreamSource,
  options: StreamIntoCardOptions = {},
): Promise<number> {
  const streamer = new CardStreamer((content, flags) => card.streamContent(key, content, flags), options);
  streamer.start();
  let sourceError: unknown;
  let failed = false;
  try {
    for await (const chunk of chunksOf(source)) streamer.push(chunk);
  } catch (error) {
    failed = true;
    sourceError = error;
  }
  await streamer.finish({ isError: failed });
  if (failed) throw sourceError;
  return streamer.requests;
}

/** A card handle with coalesced streaming: what `ctx.replyCard` returns. */
export interface StreamingCardHandle extends CardHandle {
  /**
   * Streams a source into one variable of the card (see {@link streamIntoCard}).
   * @returns the number of streaming requests started
   */
  stream(key: string, source: StreamSource, options?: StreamIntoCardOptions): Promise<number>;
}

/**
 * Adds {@link StreamingCardHandle.stream} to a card handle.
 * @param card - a delivered card (e.g. from `client.cards.send`)
 * @param defaults - timer, logger and interval used unless a call overrides them
 */
export function withStreaming(card: CardHandle, defaults: StreamIntoCardOptions = {}): StreamingCardHandle {
  return {
    outTrackId: card.outTrackId,
    update: (data, options) => card.update(data, options),
    streamContent: (key, content, flags) => card.streamContent(key, content, flags),
    stream: (key, source, options = {}) => streamIntoCard(card, key, source, { ...defaults, ...options }),
  };
}

/** Options of {@link streamAiCardTo}. */
export interface StreamAiCardToOptions extends ReplyStreamOptions {
  timer?: StreamTimer;
  logger?: Logger;
}

/**
 * The AI card outside a bot (a cron job, a queue worker): streams a source to a group or a person through an
 * app client, falling back to one robot-OpenAPI markdown message when the card is refused.
 * @param client - the app's client
 * @param to - a group (openConversationId) or a person (userId)
 * @param source - the text, in chunks
 * @example
 * const client = new AppClient({ appKey, appSecret });
 * await streamAiCardTo(client, { group: openConversationId }, llm.stream(prompt), { title: "Daily summary" });
 */
export function streamAiCardTo(
  client: AppClient,
  to: CardTarget,
  source: StreamSource,
  options: StreamAiCardToOptions = {},
): Promise<ReplyStreamResult> {
  // One id for every attempt: a retried creation must not show the card twice.
  const outTrackId = randomUUID();
  const deps: AiCardDeps = {
    open: (data) => client.cards.send({ templateId: AI_CARD_TEMPLATE_ID, data, to, outTrackId }),
    fallback: (title, text) => {
      const message = robotMessage("sampleMarkdown", { title, text });
      return "group" in to
        ? client.robot.sendToGroup(to.group, message)
        : client.robot.sendToUsers([to.user], message);
    },
    ...(options.timer ? { timer: options.timer } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  return streamAiCard(source, deps, options);
}
