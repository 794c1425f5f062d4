/**
 * The custom group robot sender: validates, signs, rate-limits, retries what is safe, and maps errcodes.
 * @module
 */
import { HttpError, ValidationError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import { WEBHOOK_MAX_BODY_BYTES } from "../protocol/constants.js";
import type { At } from "../protocol/outbound/at.js";
import { messages, type RobotMessageBody } from "../protocol/outbound/messages.js";
import { readRobotMessageBody } from "../protocol/outbound/read-outbound.js";
import { signWebhookUrl } from "../protocol/signing.js";
import { formatIssues, type SchemaIssueCode } from "../protocol/validate.js";
import { WEBHOOK_SESSION_PARAM, WEBHOOK_TOKEN_PARAM, webhookToken } from "../protocol/webhook-url.js";
import { redactUrl } from "../redact.js";
import { rebaseUrl, resolveBaseUrls } from "./base-url.js";
import { requestJson } from "./http.js";
import { RateLimiter, type RateLimitOptions, sharedRateLimiter } from "./rate-limiter.js";
import { type RetryPolicy, realSleep, type Sleep, withRetry } from "./retry.js";
import { jsonStringCost, splitText } from "./split.js";
import { webhookError } from "./webhook-errors.js";

/** Options of {@link WebhookClient}. */
export interface WebhookClientOptions {
  /** The robot's webhook URL, carrying `access_token` (a reply `sessionWebhook` with `session` works too). */
  url: string;
  /** The robot's `SEC…` secret (加签 mode): every request is signed afresh. */
  secret?: string;
  /** The robot's keywords (关键词 mode): a message must contain one, checked before sending. */
  keywords?: readonly string[];
  /** When keywords are set and a message has none, append the first instead of throwing ValidationError. */
  injectKeyword?: boolean;
  /** One URL standing for both DingTalk hosts (e.g. the emulator); default env `DINGTALK_BASE_URL`, else DingTalk. */
  baseUrl?: string;
  /** Environment for `DINGTALK_BASE_URL` (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * fetch to use instead of the default node:http(s) with keep-alive (which costs about 4× less CPU per
   * request than Node 20's global fetch).
   */
  fetch?: typeof fetch;
  /** Clock, epoch ms (signing timestamps, limiter). */
  now?: () => number;
  /** Waits between retries and for limiter slots. */
  sleep?: Sleep;
  /** Uniform [0, 1) source for retry jitter. */
  random?: () => number;
  /** Receives debug lines (URLs redacted) and retry warnings. */
  logger?: Logger;
  /** Per-request timeout in ms (default 10000). */
  timeoutMs?: number;
  /**
   * Client-side limit (default 20 per 60 s, shared by every client of the same robot in this process),
   * a limiter of your own, or `false` to send without waiting (e.g. when you schedule sends yourself).
   */
  rateLimit?: false | RateLimitOptions | RateLimiter;
  /**
   * Retries of safe failures (connection refused, errcode -1, rate-limit answers after their window):
   * a count, or a policy. Default {@link DEFAULT_WEBHOOK_RETRY}; `0` disables.
   */
  retries?: number | Partial<RetryPolicy>;
  /** Split over-long text/markdown into several messages instead of throwing (`maxBytes`: body budget). */
  split?: boolean | { maxBytes?: number };
}

/** What {@link WebhookClient.send} resolves with. */
export interface SendResult {
  errcode: 0;
  errmsg: string;
  /** Messages posted (more than 1 when the message was split). */
  parts: number;
  /** Requests made, retries included. */
  attempts: number;
}

/** Per-call options of {@link WebhookClient.send}. */
export interface SendOptions {
  /** Cancels waiting and the request in flight. */
  signal?: AbortSignal;
}

/** The retries a WebhookClient makes by default: two, quickly, and one wait for a rate-limit window. */
export const DEFAULT_WEBHOOK_RETRY: RetryPolicy = Object.freeze({
  retries: 2,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  retryRateLimited: true,
});

const DEFAULT_TIMEOUT_MS = 10_000;
/** Bytes kept free when splitting, for the part counter in a markdown title and rounding. */
const SPLIT_SLACK_BYTES = 32;

const bodyBytes = (body: RobotMessageBody): number => Buffer.byteLength(JSON.stringify(body), "utf8");

/** The words a reader sees in a message: where DingTalk looks for a keyword (URLs excluded). */
function visibleText(body: RobotMessageBody): string {
  switch (body.msgtype) {
    case "text":
      return body.text.content;
    case "markdown":
      return `${body.markdown.title}\n${body.markdown.text}`;
    case "link":
      return `${body.link.title}\n${body.link.text}`;
    case "actionCard": {
      const card = body.actionCard;
      return [card.title, card.text, card.singleTitle ?? "", ...(card.btns ?? []).map((b) => b.title)].join(
        "\n",
      );
    }
    case "feedCard":
      return body.feedCard.links.map((link) => link.title).join("\n");
  }
}

/** Returns a copy of the body with the keyword appended to its main text. */
function withKeyword(body: RobotMessageBody, keyword: string): RobotMessageBody {
  switch (body.msgtype) {
    case "text":
      return { ...body, text: { content: `${body.text.content}\n${keyword}` } };
    case "markdown":
      return { ...body, markdown: { ...body.markdown, text: `${body.markdown.text}\n\n${keyword}` } };
    case "link":
      return { ...body, link: { ...body.link, text: `${body.link.text}\n${keyword}` } };
    case "actionCard":
      return { ...body, actionCard: { ...body.actionCard, text: `${body.actionCard.text}\n\n${keyword}` } };
    case "feedCard": {
      const [first, ...rest] = body.feedCard.links;
      if (!first) return body;
      return { ...body, feedCard: { links: [{ ...first, title: `${first.title} ${keyword}` }, ...rest] } };
    }
  }
}

function invalid(
  message: string,
  path: string,
  problem: string,
  code: SchemaIssueCode = "invalid",
): ValidationError {
  return new ValidationError(message, [{ code, path, message: problem }], "outbound");
}

/**
 * Sends messages through a DingTalk custom group robot (自定义机器人).
 *
 * Every `send` validates the message (schema, 20000-byte body, keywords), waits for the robot's
 * rate limiter, signs the URL with a fresh timestamp, posts, and maps errcode ≠ 0 to
 * {@link RateLimitedError}, {@link AuthError} or {@link ApiError}. Errors and logs never contain the
 * access token or the secret.
 * @example
 * const robot = new WebhookClient({
 *   url: "https://oapi.dingtalk.com/robot/send?access_token=…",
 *   secret: "SEC…",
 * });
 * await robot.sendText("构建完成", { at: { atMobiles: ["13800000000"] } });
 * await robot.send(messages.markdown("告警", "### 服务异常\n> **状态**: down"));
 */
export class WebhookClient {
  private readonly url: string;
  private readonly endpoint: string;
  private readonly secret: string | undefined;
  private readonly token: string;
  private readonly keywords: readonly string[];
  private readonly injectKeyword: boolean;
  private readonly fetchFn: typeof fetch | undefined;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly limiter: RateLimiter | undefined;
  private readonly retry: RetryPolicy;
  private readonly splitMaxBytes: number | undefined;

  /**
   * @param options - webhook URL, secret, keywords, and the injectable seams
   * @throws ValidationError when the URL, base URL or keywords are unusable
   */
  constructor(options: WebhookClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw invalid(
        "the webhook is not a URL: copy it from the group's robot settings (https://oapi.dingtalk.com/robot/send?access_token=…)",
        "url",
        "not a URL",
      );
    }
    const token = webhookToken(parsed, [WEBHOOK_TOKEN_PARAM, WEBHOOK_SESSION_PARAM]);
    if (!token) {
      throw invalid(
        `the webhook ${redactUrl(options.url)} has no access_token: copy the whole URL from the robot settings`,
        "url",
        "missing access_token",
      );
    }
    let oapi: string;
    try {
      oapi = resolveBaseUrls(options.baseUrl, options.env ?? process.env).oapi;
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error), "baseUrl", "not an http(s) URL");
    }
    if (options.secret !== undefined && options.secret.length === 0) {
      throw invalid("the secret is empty: pass the robot's SEC… secret, or no secret", "secret", "empty");
    }
    const keywords = (options.keywords ?? []).filter((keyword) => keyword.length > 0);
    this.url = rebaseUrl(options.url, oapi);
    this.endpoint = `POST ${parsed.pathname}`;
    this.secret = options.secret;
    this.token = token;
    this.keywords = keywords;
    this.injectKeyword = options.injectKeyword ?? false;
    this.fetchFn = options.fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const limit = options.rateLimit ?? {};
    this.limiter =
      limit === false
        ? undefined
        : limit instanceof RateLimiter
          ? limit
          : sharedRateLimiter(token, limit, { now: this.now, sleep: this.sleep });
    const retries = options.retries ?? {};
    this.retry =
      typeof retries === "number"
        ? { ...DEFAULT_WEBHOOK_RETRY, retries }
        : { ...DEFAULT_WEBHOOK_RETRY, ...retries };
    const split = options.split ?? false;
    this.splitMaxBytes =
      split === false
        ? undefined
        : split === true
          ? WEBHOOK_MAX_BODY_BYTES
          : (split.maxBytes ?? WEBHOOK_MAX_BODY_BYTES);
  }

  /**
   * Validates a message and returns the exact bodies `send` would post (several when split), without sending.
   * @param message - any robot message body
   * @throws ValidationError naming what is wrong and how to fix it
   */
  prepare(message: unknown): RobotMessageBody[] {
    return this.#serialise(message).map((part) => part.body);
  }

  /** {@link prepare}, keeping each body's JSON: the size check and the POST then serialise it once. */
  #serialise(message: unknown): { body: RobotMessageBody; payload: string }[] {
    // The schema's answer, with text and markdown (nearly every send) checked by hand: zod was ~2 % of a
    // relay's CPU per message in a fan-out to 500 robots.
    const checked = readRobotMessageBody(message);
    if (!checked.ok) {
      throw new ValidationError(
        `the message is not a valid DingTalk robot message: ${formatIssues(checked.issues)}`,
        checked.issues,
        "outbound",
      );
    }
    const parts = this.split(checked.value).map((part) => this.ensureKeyword(part));
    return parts.map((part, index) => {
      const payload = JSON.stringify(part);
      const bytes = Buffer.byteLength(payload, "utf8");
      if (bytes > WEBHOOK_MAX_BODY_BYTES) {
        const which = parts.length > 1 ? `part ${index + 1} of ${parts.length} ` : "";
        throw invalid(
          `the message ${which}is ${bytes} bytes; DingTalk accepts at most ${WEBHOOK_MAX_BODY_BYTES}: shorten it${
            part.msgtype === "text" || part.msgtype === "markdown" ? " or enable split" : ""
          }`,
          "(root)",
          `body is ${bytes} bytes (limit ${WEBHOOK_MAX_BODY_BYTES})`,
          "too-large",
        );
      }
      return { body: part, payload };
    });
  }

  /**
   * Sends one message (several requests when it is split).
   * @param message - a robot message body, e.g. from `messages.text(…)`
   * @param options - cancellation
   * @returns errcode 0, and how many parts and requests it took
   * @throws ValidationError before any request; RateLimitedError, AuthError, ApiError, HttpError or RequestError after
   * @example
   * await robot.send(messages.link({ title: "发布公告", text: "v2.1", messageUrl: "https://example.com" }));
   */
  async send(message: RobotMessageBody, options: SendOptions = {}): Promise<SendResult> {
    const parts = this.#serialise(message);
    let attempts = 0;
    let errmsg = "ok";
    for (const part of parts) {
      const result = await this.post(part.payload, options.signal);
      attempts += result.attempts;
      errmsg = result.errmsg;
    }
    return { errcode: 0, errmsg, parts: parts.length, attempts };
  }

  /**
   * Sends a text message.
   * @example
   * await robot.sendText("部署完成 ✅", { at: { isAtAll: true } });
   */
  sendText(content: string, options: { at?: At } & SendOptions = {}): Promise<SendResult> {
    return this.send(messages.text(content, options.at ? { at: options.at } : {}), options);
  }

  /**
   * Sends a markdown message; `title` shows in the notification and the conversation list.
   * @example
   * await robot.sendMarkdown("告警", "### 服务异常\n> **状态**: down");
   */
  sendMarkdown(title: string, text: string, options: { at?: At } & SendOptions = {}): Promise<SendResult> {
    return this.send(messages.markdown(title, text, options.at ? { at: options.at } : {}), options);
  }

  private ensureKeyword(body: RobotMessageBody): RobotMessageBody {
    if (this.keywords.length === 0) return body;
    const text = visibleText(body);
    if (this.keywords.some((keyword) => text.includes(keyword))) return body;
    if (this.injectKeyword) return withKeyword(body, this.keywords[0]!);
    throw invalid(
      `the message contains none of the robot's keywords (${this.keywords.map((k) => JSON.stringify(k)).join(", ")}): DingTalk would refuse it with 310000; add one to the text, or set injectKeyword`,
      "(root)",
      "no keyword",
      "no-keyword",
    );
  }

  /** Splits a too-long text or markdown message; anything else is returned as is. */
  private split(body: RobotMessageBody): RobotMessageBody[] {
    const max = this.splitMaxBytes;
    if (max === undefined || bodyBytes(body) <= max) return [body];
    if (body.msgtype !== "text" && body.msgtype !== "markdown") return [body];
    const text = body.msgtype === "text" ? body.text.content : body.markdown.text;
    const empty =
      body.msgtype === "text"
        ? { ...body, text: { content: "" } }
        : { ...body, markdown: { ...body.markdown, text: "" } };
    const keywordReserve = this.injectKeyword
      ? Math.max(0, ...this.keywords.map((k) => Buffer.byteLength(k) + 4))
      : 0;
    const budget = max - bodyBytes(empty) - keywordReserve - SPLIT_SLACK_BYTES;
    if (budget < 16) throw invalid(`split.maxBytes ${max} leaves no room for text`, "split", "too small");
    const chunks = splitText(text, { maxBytes: budget, cost: jsonStringCost });
    return chunks.map((chunk, index): RobotMessageBody => {
      const last = index === chunks.length - 1;
      if (body.msgtype === "text") {
        // Mentions go with the last part, where the @tokens are: nobody is pinged once per part.
        const part = { msgtype: "text" as const, text: { content: chunk } };
        return last && body.at ? { ...part, at: body.at } : part;
      }
      const title = `${body.markdown.title} (${index + 1}/${chunks.length})`;
      const part = { msgtype: "markdown" as const, markdown: { title, text: chunk } };
      return last && body.at ? { ...part, at: body.at } : part;
    });
  }

  /**
   * Whether debug lines reach anyone: not for the silent logger, nor for a logger that says its level is
   * above debug (pino's `isLevelEnabled`, asked at each send since a level can change at run time).
   */
  private debugEnabled(): boolean {
    if (this.logger === silentLogger) return false;
    const leveled = this.logger as Logger & { isLevelEnabled?: (level: string) => boolean };
    return typeof leveled.isLevelEnabled === "function" ? leveled.isLevelEnabled("debug") : true;
  }

  /** Posts one serialised body: limiter, fresh signature, request, errcode mapping, safe retries. */
  private async post(payload: string, signal?: AbortSignal): Promise<{ errmsg: string; attempts: number }> {
    const secrets = [this.token, this.secret];
    let attempts = 0;
    const errmsg = await withRetry(
      async () => {
        if (this.limiter) await this.limiter.acquire(signal);
        attempts += 1;
        const url = this.secret ? signWebhookUrl(this.url, this.secret, this.now()) : this.url;
        // Redacting parses the URL: skip it when nobody listens (the default, or a logger above debug, as a
        // relay's pino at info is: ~4 % of its CPU per message), it is on the hot path.
        const debug = this.debugEnabled();
        if (debug) {
          this.logger.debug(
            {
              endpoint: this.endpoint,
              url: redactUrl(url),
              attempt: attempts,
              bytes: Buffer.byteLength(payload),
            },
            "posting robot message",
          );
        }
        const response = await requestJson(this.fetchFn, {
          method: "POST",
          url,
          body: payload,
          headers: { "content-type": "application/json; charset=utf-8" },
          timeoutMs: this.timeoutMs,
          endpoint: this.endpoint,
          secrets,
          ...(signal ? { signal } : {}),
        });
        const answer = response.body as { errcode?: unknown; errmsg?: unknown } | null;
        if (typeof answer?.errcode !== "number") {
          throw new HttpError(response.status, this.endpoint, "answer has no numeric errcode");
        }
        const message = typeof answer.errmsg === "string" ? answer.errmsg : "";
        if (debug) {
          this.logger.debug(
            { endpoint: this.endpoint, status: response.status, errcode: answer.errcode },
            "answered",
          );
        }
        if (answer.errcode === 0) return message;
        const error = webhookError(answer.errcode, message, {
          endpoint: this.endpoint,
          status: response.status,
          secrets,
        });
        if (error.kind === "rate-limit" && this.limiter && "retryAfterMs" in error) {
          const wait = typeof error.retryAfterMs === "number" ? error.retryAfterMs : 0;
          this.limiter.pauseUntil(this.now() + wait);
        }
        throw error;
      },
      {
        policy: this.retry,
        sleep: this.sleep,
        random: this.random,
        ...(signal ? { signal } : {}),
        onRetry: (error, attempt, delayMs) =>
          this.logger.warn(
            {
              endpoint: this.endpoint,
              attempt,
              delayMs,
              error: error instanceof Error ? error.message : String(error),
            },
            "retrying robot message",
          ),
      },
    );
    return { errmsg, attempts };
  }
}
