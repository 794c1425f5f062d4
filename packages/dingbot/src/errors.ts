/**
 * The error classes every part of dingbot throws. Messages are sentences that name the endpoint and never
 * contain a token, a secret or a signature.
 * @module
 */
import type { ErrcodeKind } from "./protocol/errcodes.js";
import type { SchemaIssue } from "./protocol/validate.js";

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
  | "DT_STREAM_CONNECT";

/** Base class of every dingbot error. */
export abstract class DingTalkError extends Error {
  /** Machine-readable code. */
  abstract readonly code: ErrorCode;
  /** Whether the same request may succeed if retried later. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
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
  constructor(details: ApiErrorDetails, options?: ErrorOptions) {
    const code = details.errcode ?? details.apiCode ?? details.status;
    super(
      `${details.endpoint} failed: DingTalk answered ${code} "${details.errmsg}"${details.hint ? `. ${details.hint}` : ""}`,
      options,
    );
    this.status = details.status;
    this.errcode = details.errcode;
    this.apiCode = details.apiCode;
    this.errmsg = details.errmsg;
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
  constructor(details: ApiErrorDetails & { retryAfterMs?: number }, options?: ErrorOptions) {
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
  constructor(
    readonly status: number,
    readonly endpoint: string,
    readonly bodySnippet: string,
  ) {
    super(`${endpoint} failed with HTTP ${status}: ${bodySnippet.slice(0, 200)}`);
    this.retryable = status >= 500 || status === 429;
  }
}

/** No answer: network failure, timeout or abort. */
export class RequestError extends DingTalkError {
  readonly code: ErrorCode = "DT_REQUEST";
  override readonly retryable: boolean;
  constructor(
    readonly endpoint: string,
    message: string,
    options?: ErrorOptions & { aborted?: boolean },
  ) {
    super(`${endpoint}: ${message}`, options);
    this.retryable = !options?.aborted;
  }
}

/** A payload failed its schema: outbound before sending, or inbound on receipt. */
export class ValidationError extends DingTalkError {
  readonly code: ErrorCode = "DT_VALIDATION";
  constructor(
    message: string,
    readonly issues: SchemaIssue[],
    readonly direction: "outbound" | "inbound",
  ) {
    super(message);
  }
}

/** An inbound request's signature was missing, stale, malformed or wrong. */
export class SignatureError extends DingTalkError {
  readonly code: ErrorCode = "DT_SIGNATURE";
  constructor(readonly reason: "missing" | "malformed" | "stale" | "mismatch") {
    super(`signature check failed: ${reason}`);
  }
}

/** A bot's middleware threw. */
export class BotError extends DingTalkError {
  readonly code: ErrorCode = "DT_BOT";
  constructor(
    readonly error: unknown,
    readonly ctx: unknown,
  ) {
    super(`a bot handler threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The stream connection cannot start and retrying will not help (e.g. wrong credentials). */
export class StreamConnectError extends DingTalkError {
  readonly code: ErrorCode = "DT_STREAM_CONNECT";
}

/** The errors a client call can reject with. */
export type ClientError = ApiError | HttpError | RequestError | ValidationError;
