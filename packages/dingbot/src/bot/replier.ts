/**
 * Where a reply goes, in order: the inline HTTP response slot (first reply only, while it is open), the
 * message's sessionWebhook until it expires, then the robot OpenAPI through the `apiFallback` option.
 * @module
 */

// Through the client's public entry: the bot is a user of the client, not of its internals.
import { rebaseUrl, requestJson, webhookError } from "../client/index.js";
import { DingTalkError, type ErrorCode, HttpError, ValidationError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import { type RobotMessageBody, RobotMessageBodySchema } from "../protocol/outbound/messages.js";
import { check, formatIssues } from "../protocol/validate.js";
import type { ReplyBody, Responder, Update } from "./transports/transport.js";

/** How a reply was delivered. */
export type ReplyChannel = "inline" | "session-webhook" | "api" | "none";

/** Result of a reply. */
export interface ReplyResult {
  /** `none` for a `noReply()` after the inline slot closed: there was nothing to send. */
  via: ReplyChannel;
}

/** What an {@link ApiFallback} receives. */
export interface ApiFallbackRequest {
  /** The reply to send. */
  body: RobotMessageBody;
  /** The message it answers (conversationId, conversationType, senderStaffId…). */
  message: InboundMessage;
  /** The robot that should answer. */
  robotCode: string | undefined;
}

/** Sends a reply through the robot OpenAPI once the sessionWebhook is gone (see docs/answering-http.md). */
export type ApiFallback = (request: ApiFallbackRequest) => Promise<unknown>;

/** Errcode DingTalk answers for an unknown or expired session. */
export const SESSION_EXPIRED_ERRCODE = 300001;

/** No channel is left to deliver a reply: the sessionWebhook expired and no `apiFallback` was given. */
export class ReplyUnavailableError extends DingTalkError {
  readonly code: ErrorCode = "DT_BOT";
  constructor(message: string) {
    super(message);
  }
}

/** Everything a {@link Replier} needs from the bot. */
export interface ReplierConfig {
  /** A fetch to use; undefined uses the client's node:http(s) path with keep-alive agents. */
  fetch: typeof fetch | undefined;
  now: () => number;
  logger: Logger;
  /** Resolved oapi base URL; the sessionWebhook is re-hosted onto it (the emulator). */
  oapiBase: string;
  /** Time limit of one sessionWebhook POST, in ms. */
  replyTimeoutMs: number;
  apiFallback: ApiFallback | undefined;
  robotCode: string | undefined;
  /** Literal secrets to mask in error messages. */
  secrets: readonly (string | undefined)[];
}

const SESSION_ENDPOINT = "POST /robot/sendBySession";

/** Delivers the replies to one update. */
export class Replier {
  #inlineTried = false;

  constructor(
    private readonly update: Update,
    private readonly responder: Responder,
    private readonly config: ReplierConfig,
  ) {}

  /**
   * Checks a reply body against the schema, then sends it through the first channel that is open.
   * @param body - the reply, from anywhere (a user's handler)
   * @throws ValidationError for a body that is not a DingTalk message
   * @throws AuthError / ApiError / RateLimitedError / HttpError / RequestError when the sessionWebhook
   *   refuses or fails
   * @throws ReplyUnavailableError when the sessionWebhook expired and there is no apiFallback
   */
  send(body: ReplyBody): Promise<ReplyResult> {
    if (body.msgtype !== "empty") {
      const checked = check(RobotMessageBodySchema, body);
      if (!checked.ok) {
        return Promise.reject(
          new ValidationError(`invalid reply: ${formatIssues(checked.issues)}`, checked.issues, "outbound", {
            secrets: this.config.secrets,
          }),
        );
      }
    }
    return this.sendTrusted(body);
  }

  /**
   * Sends a reply body that is valid by construction (built by the protocol's `messages.*` builders with
   * non-empty text, as the ctx.reply* helpers do), skipping the schema check on the hot path.
   * @param body - the reply
   * @throws as {@link send}, except ValidationError
   */
  async sendTrusted(body: ReplyBody): Promise<ReplyResult> {
    if (body.msgtype === "empty") return this.#sendEmpty();
    // Claimed synchronously, so that of two replies started together only the first goes inline.
    const tryInline = !this.#inlineTried && this.responder.replyInline !== undefined;
    this.#inlineTried = true;
    if (tryInline && (await this.responder.replyInline?.(body))) return this.#chose("inline");
    const webhook = this.update.message.sessionWebhook;
    const expiresAt = this.update.message.sessionWebhookExpiredTime;
    // A sessionWebhook that is not an http(s) URL is unusable, like an expired one: the OpenAPI still works.
    const usable = webhook !== undefined && isHttpUrl(webhook);
    if (usable && (expiresAt === undefined || this.config.now() <= expiresAt)) {
      if (await this.#postSession(webhook, body)) return this.#chose("session-webhook");
    }
    if (!this.config.apiFallback) {
      throw new ReplyUnavailableError(
        !webhook
          ? "the message has no sessionWebhook; pass apiFallback (see docs) to reply through the robot OpenAPI"
          : usable
            ? "the sessionWebhook expired; pass apiFallback (see docs) to reply through the robot OpenAPI"
            : "the message's sessionWebhook is not a URL; pass apiFallback (see docs) to reply through the robot OpenAPI",
      );
    }
    const robotCode = this.update.message.robotCode ?? this.config.robotCode;
    await this.config.apiFallback({ body, message: this.update.message, robotCode });
    return this.#chose("api");
  }

  async #sendEmpty(): Promise<ReplyResult> {
    if (this.#inlineTried || !this.responder.replyInline) return { via: "none" };
    this.#inlineTried = true;
    return (await this.responder.replyInline({ msgtype: "empty" })) ? { via: "inline" } : { via: "none" };
  }

  #chose(via: ReplyChannel): ReplyResult {
    this.config.logger.debug({ msgId: this.update.id, via }, "reply delivered");
    return { via };
  }

  /**
   * POSTs to the sessionWebhook through the client's one HTTP path (timeout, keep-alive, redaction) and
   * maps errcodes as the webhook client does; false when DingTalk says the session is gone (300001).
   */
  async #postSession(webhook: string, body: RobotMessageBody): Promise<boolean> {
    const url = rebaseUrl(webhook, this.config.oapiBase);
    // The session id is the webhook's credential: mask it wherever DingTalk might echo it.
    const secrets = [...this.config.secrets, sessionOf(url)];
    const response = await requestJson(this.config.fetch, {
      method: "POST",
      url,
      body: JSON.stringify(body),
      headers: { "content-type": "application/json; charset=utf-8" },
      timeoutMs: this.config.replyTimeoutMs,
      endpoint: SESSION_ENDPOINT,
      secrets,
    });
    const answer = response.body as { errcode?: unknown; errmsg?: unknown } | null;
    if (response.status < 200 || response.status >= 300 || typeof answer?.errcode !== "number") {
      throw new HttpError(response.status, SESSION_ENDPOINT, JSON.stringify(response.body).slice(0, 200), {
        secrets,
      });
    }
    if (answer.errcode === 0) return true;
    if (answer.errcode === SESSION_EXPIRED_ERRCODE) return false;
    const errmsg = typeof answer.errmsg === "string" ? answer.errmsg : "";
    throw webhookError(answer.errcode, errmsg, {
      endpoint: SESSION_ENDPOINT,
      status: response.status,
      secrets,
    });
  }
}

/** Whether a text is an absolute http(s) URL. */
function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);
}

/** The `session` query value of a sessionWebhook URL. */
function sessionOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get("session") ?? undefined;
  } catch {
    return undefined;
  }
}
