/**
 * The error classes every part of dingbot throws. Messages are sentences that name the endpoint and never
 * contain a token, a secret or a signature: as Octokit's `RequestError` does, each constructor redacts
 * what it is given (message, `errmsg`, body snippet), with the literal secrets the caller passes in
 * `secrets` and the `access_token=`/`session=`… patterns of {@link redactText}, so no call site has to
 * remember to.
 * @module
 */
import type { ErrcodeKind } from "./protocol/errcodes.js";
import type { SchemaIssue, SchemaIssueInput } from "./protocol/validate.js";
import { redactText } from "./redact.js";

/** Options every dingbot error takes: the standard `cause`, and the literal secrets to hide. */
export interface DingTalkErrorOptions extends ErrorOptions {
  /** Literal values (tokens, app secrets, session ids) masked wherever they appear in the error's text. */
  secrets?: readonly (string | undefined)[];
}

/** The standard options only: secrets must not travel on into `Error` (they would show in a dump). */
function errorOptions(options: DingTalkErrorOptions | undefined): ErrorOptions | undefined {
  return options && "cause" in options ? { cause: options.cause } : undefined;
}

/** Stable machine-readable codes of {@link DingTalkError}. */
export type ErrorCode =
  | "DT_API_ERROR"
  | "DT_RATE_LIMITED"
  | "DT_AUTH"
  | "DT_HTTP"
  | "DT_REQUEST"
  | "DT_VALIDATION"
  | "DT_SIGNATURE"
  | "DT_BOT"
  | "DT_STREAM_CONNECT"
  | "DT_MEDIA";

/** Base class of every dingbot error. */
export abstract class DingTalkError extends Error {
  /** Machine-readable code. */
  abstract readonly code: ErrorCode;
  /** Whether the same request may succeed if retried later. */
  readonly retryable: boolean = false;
  /**
   * @param message - the sentence; redacted here with `options.secrets`
   * @param options - `cause`, and the literal secrets to mask
   */
  constructor(message: string, options?: DingTalkErrorOptions) {
    super(redactText(message, options?.secrets), errorOptions(options));
    this.name = new.target.name;
  }
}

/** What DingTalk said when it refused a request. */
export interface ApiErrorDetails {
  /** HTTP status of the answer. */
  status: number;
  /** Old-API numeric errcode, when the answer had one. */
  errcode?: number;
  /** New-API string code (e.g. `InvalidAuthentication`), or the topapi `sub_code`. */
  apiCode?: string;
  /** DingTalk's errmsg or message. */
  errmsg: string;
  /** DingTalk's request id, for support tickets. */
  requestId?: string;
  /** The endpoint, without host or secrets (e.g. `POST /robot/send`). */
  endpoint: string;
  /** How to treat it. */
  kind: ErrcodeKind;
  /** How to fix it, in one sentence. */
  hint?: string;
}

/** DingTalk answered, and refused (errcode ≠ 0, or a new-API error body). */
export class ApiError extends DingTalkError {
  readonly code: ErrorCode = "DT_API_ERROR";
  override readonly retryable: boolean;
  readonly status: number;
  readonly errcode: number | undefined;
  readonly apiCode: string | undefined;
  readonly errmsg: string;
  readonly requestId: string | undefined;
  readonly endpoint: string;
  readonly kind: ErrcodeKind;
  readonly hint: string | undefined;
  /**
   * @param details - what DingTalk answered; `errmsg` is redacted here (DingTalk may echo a token or URL)
   * @param options - `cause`, and the literal secrets to mask
   */
  constructor(details: ApiErrorDetails, options?: DingTalkErrorOptions) {
    const code = details.errcode ?? details.apiCode ?? details.status;
    const errmsg = redactText(details.errmsg, options?.secrets);
    super(
      `${details.endpoint} failed: DingTalk answered ${code} "${errmsg}"${details.hint ? `. ${details.hint}` : ""}`,
      options,
    );
    this.status = details.status;
    this.errcode = details.errcode;
    this.apiCode = details.apiCode;
    this.errmsg = errmsg;
    this.requestId = details.requestId;
    this.endpoint = details.endpoint;
    this.kind = details.kind;
    this.hint = details.hint;
    this.retryable = details.kind === "transient" || details.kind === "rate-limit";
  }
}

/** DingTalk throttled the request. */
export class RateLimitedError extends ApiError {
  override readonly code: ErrorCode = "DT_RATE_LIMITED";
  /** How long to wait before retrying, when known. */
  readonly retryAfterMs: number | undefined;
  /**
   * @param details - what DingTalk answered, and how long to wait
   * @param options - `cause`, and the literal secrets to mask
   */
  constructor(details: ApiErrorDetails & { retryAfterMs?: number }, options?: DingTalkErrorOptions) {
    super(details, options);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Credentials, tokens or security settings were refused. */
export class AuthError extends ApiError {
  override readonly code: ErrorCode = "DT_AUTH";
}

/** A non-2xx answer without a DingTalk error body. */
export class HttpError extends DingTalkError {
  readonly code: ErrorCode = "DT_HTTP";
  override readonly retryable: boolean;
  /** The start of the answer's body, redacted. */
  readonly bodySnippet: string;
  /**
   * @param status - HTTP status of the answer
   * @param endpoint - `METHOD /path`, without host or query
   * @param bodySnippet - what the answer said; redacted here
   * @param options - `cause`, and the literal secrets to mask
   */
  constructor(
    readonly status: number,
    readonly endpoint: string,
    bodySnippet: string,
    options?: DingTalkErrorOptions,
  ) {
    const snippet = redactText(bodySnippet, options?.secrets);
    super(`${endpoint} failed with HTTP ${status}: ${snippet.slice(0, 200)}`, options);
    this.bodySnippet = snippet;
    this.retryable = status >= 500 || status === 429;
  }
}

/** No answer: network failure, timeout or abort. */
export class RequestError extends DingTalkError {
  readonly code: ErrorCode = "DT_REQUEST";
  override readonly retryable: boolean;
  /**
   * @param endpoint - `METHOD /path`, without host or query
   * @param message - why there was no answer; redacted here
   * @param options - `cause`, the literal secrets to mask, and whether the caller aborted (not retryable)
   */
  constructor(
    readonly endpoint: string,
    message: string,
    options?: DingTalkErrorOptions & { aborted?: boolean },
  ) {
    super(`${endpoint}: ${message}`, options);
    this.retryable = !options?.aborted;
  }
}

/** A payload failed its schema: outbound before sending, or inbound on receipt. */
export class ValidationError extends DingTalkError {
  readonly code: ErrorCode = "DT_VALIDATION";
  /** What is wrong, each with a machine-readable `code` (an issue given without one gets `"invalid"`). */
  readonly issues: SchemaIssue[];
  /**
   * @param message - the sentence; redacted here
   * @param issues - what is wrong
   * @param direction - refused before sending, or on receipt
   * @param options - `cause`, and the literal secrets to mask
   */
  constructor(
    message: string,
    issues: readonly SchemaIssueInput[],
    readonly direction: "outbound" | "inbound",
    options?: DingTalkErrorOptions,
  ) {
    super(message, options);
    this.issues = issues.map((issue) =>
      issue.code === undefined ? { ...issue, code: "invalid" } : (issue as SchemaIssue),
    );
  }
}

/** An inbound request's signature was missing, stale, malformed or wrong. */
export class SignatureError extends DingTalkError {
  readonly code: ErrorCode = "DT_SIGNATURE";
  /** @param reason - which check failed */
  constructor(readonly reason: "missing" | "malformed" | "stale" | "mismatch") {
    super(`signature check failed: ${reason}`);
  }
}

/**
 * A bot's middleware threw. `C` is the bot's context type (grammY's `BotError<C>`), so `bot.catch`
 * handlers see `error.ctx` as the context they wrote middleware for.
 */
export class BotError<C = unknown> extends DingTalkError {
  readonly code: ErrorCode = "DT_BOT";
  /**
   * @param error - what the middleware threw (also the `cause`)
   * @param ctx - the context of the message being handled
   * @param options - the literal secrets to mask in the message (the bot's app secret)
   */
  constructor(
    readonly error: unknown,
    readonly ctx: C,
    options?: Omit<DingTalkErrorOptions, "cause">,
  ) {
    super(`a bot handler threw: ${error instanceof Error ? error.message : String(error)}`, {
      ...options,
      cause: error,
    });
  }
}

/** The stream connection cannot start and retrying will not help (e.g. wrong credentials). */
export class StreamConnectError extends DingTalkError {
  readonly code: ErrorCode = "DT_STREAM_CONNECT";
}

/**
 * Why a media upload or download was refused: `too-large` (over the limit; a download is stopped as soon as
 * it passes it), `unsupported-type` (a format DingTalk does not take for that media type), `empty` (nothing
 * to upload), `download-code` (DingTalk refused the downloadCode: unknown, expired or another robot's),
 * `download-failed` (the download URL answered with an error status).
 */
export type MediaErrorReason =
  | "too-large"
  | "unsupported-type"
  | "empty"
  | "download-code"
  | "download-failed";

/** A media upload or download was refused before or while it ran; the download URL never appears in it. */
export class MediaError extends DingTalkError {
  readonly code: ErrorCode = "DT_MEDIA";
  /** HTTP status of the answer, for `download-failed`. */
  readonly status: number | undefined;
  /** The limit that was passed, for `too-large`. */
  readonly limitBytes: number | undefined;
  /**
   * @param reason - what went wrong, for programs
   * @param message - the sentence; redacted here with `options.secrets`
   * @param options - `cause`, the literal secrets to mask (the download URL), and the HTTP status or limit
   */
  constructor(
    readonly reason: MediaErrorReason,
    message: string,
    options?: DingTalkErrorOptions & { status?: number; limitBytes?: number },
  ) {
    super(message, options);
    this.status = options?.status;
    this.limitBytes = options?.limitBytes;
  }
}

/** The errors a client call can reject with. */
export type ClientError = ApiError | HttpError | RequestError | ValidationError;
