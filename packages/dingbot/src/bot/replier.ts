/**
 * Where a reply goes, in order: the inline HTTP response slot (first reply only, while it is open), the
 * message's sessionWebhook until it expires, then the robot OpenAPI through the `apiFallback` option.
 * @module
 */

import { rebaseUrl } from "../client/base-url.js";
import {
  ApiError,
  DingTalkError,
  type ErrorCode,
  HttpError,
  RateLimitedError,
  RequestError,
  ValidationError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import { describeErrcode } from "../protocol/errcodes.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import { type RobotMessageBody, RobotMessageBodySchema } from "../protocol/outbound/messages.js";
import { check, formatIssues } from "../protocol/validate.js";
import { redactText } from "../redact.js";
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
  fetch: typeof fetch;
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
   * Sends one reply through the first channel that is open.
   * @param body - the reply
   * @param trusted - the body comes from a `messages.*` builder; skip the schema check
   * @throws ValidationError for a body that is not a DingTalk message
   * @throws ApiError / RateLimitedError / HttpError / RequestError when the sessionWebhook refuses or fails
   * @throws ReplyUnavailableError when the sessionWebhook expired and there is no apiFallback
   */
  async send(body: ReplyBody, trusted = false): Promise<ReplyResult> {
    if (body.msgtype === "empty") return this.#sendEmpty();
    // Bodies from the protocol's builders (the ctx.reply* helpers) are valid by construction.
    if (!trusted) {
      const checked = check(RobotMessageBodySchema, body);
      if (!checked.ok) {
        throw new ValidationError(
          `invalid reply: ${formatIssues(checked.issues)}`,
          checked.issues,
          "outbound",
        );
      }
    }
    // Claimed synchronously, so that of two replies started together only the first goes inline.
    const tryInline = !this.#inlineTried && this.responder.replyInline !== undefined;
    this.#inlineTried = true;
    if (tryInline && (await this.responder.replyInline?.(body))) return this.#chose("inline");
    const webhook = this.update.message.sessionWebhook;
    const expiresAt = this.update.message.sessionWebhookExpiredTime;
    if (webhook && (expiresAt === undefined || this.config.now() <= expiresAt)) {
      if (await this.#postSession(webhook, body)) return this.#chose("session-webhook");
    }
    if (!this.config.apiFallback) {
      throw new ReplyUnavailableError(
        webhook
          ? "the sessionWebhook expired; pass apiFallback (see docs) to reply through the robot OpenAPI"
          : "the message has no sessionWebhook; pass apiFallback (see docs) to reply through the robot OpenAPI",
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

  /** POSTs to the sessionWebhook; false when DingTalk says the session is gone (errcode 300001). */
  async #postSession(webhook: string, body: RobotMessageBody): Promise<boolean> {
    let response: Response;
    try {
      response = await this.config.fetch(rebaseUrl(webhook, this.config.oapiBase), {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.replyTimeoutMs),
      });
    } catch (error) {
      const aborted =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const reason = redactText(error instanceof Error ? error.message : String(error), this.config.secrets);
      throw new RequestError(SESSION_ENDPOINT, aborted ? "timed out" : reason, { cause: error, aborted });
    }
    const text = await response.text().catch(() => "");
    if (!response.ok)
      throw new HttpError(response.status, SESSION_ENDPOINT, redactText(text, this.config.secrets));
    const result = parseErrcode(text);
    if (result === undefined)
      throw new HttpError(response.status, SESSION_ENDPOINT, redactText(text, this.config.secrets));
    if (result.errcode === 0) return true;
    if (result.errcode === SESSION_EXPIRED_ERRCODE) return false;
    const info = describeErrcode(result.errcode, result.errmsg);
    const details = {
      status: response.status,
      errcode: result.errcode,
      errmsg: result.errmsg,
      endpoint: SESSION_ENDPOINT,
      kind: info.kind,
      hint: info.hint,
    };
    throw info.kind === "rate-limit" ? new RateLimitedError(details) : new ApiError(details);
  }
}

/** Reads `{errcode, errmsg}` from an old-API answer; undefined when it is not one. */
function parseErrcode(text: string): { errcode: number; errmsg: string } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { errcode, errmsg } = value as { errcode?: unknown; errmsg?: unknown };
    if (typeof errcode !== "number") return undefined;
    return { errcode, errmsg: typeof errmsg === "string" ? errmsg : "" };
  } catch {
    return undefined;
  }
}
