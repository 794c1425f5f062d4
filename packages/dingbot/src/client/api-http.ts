/**
 * Calls of both app-API generations: the token goes in the `access_token` query (oapi) or the
 * `x-acs-dingtalk-access-token` header (api); answers are normalised into one success value or one of
 * {@link ApiError}, {@link AuthError}, {@link RateLimitedError}, {@link HttpError}, {@link RequestError}.
 * Throttling answers are retried with backoff. Tokens and secrets never reach an error or a log line.
 * @module
 */
import { ApiError, AuthError, HttpError, RateLimitedError } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  type AppErrorKind,
  classifyNewApiError,
  classifyOldApiError,
  NewApiErrorSchema,
  OldApiErrorSchema,
} from "../protocol/api/api-errors.js";
import { ACCESS_TOKEN_HEADER } from "../protocol/constants.js";
import { check } from "../protocol/validate.js";
import type { BaseUrls } from "./base-url.js";
import { requestJson } from "./http.js";
import { type Sleep, withRetry } from "./retry.js";

/** One app-API call. */
export interface ApiRequest {
  host: "oapi" | "api";
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** Path, starting with `/`. */
  path: string;
  /** Query parameters (besides the token). */
  query?: Record<string, string>;
  /** JSON body. */
  body?: unknown;
  /**
   * A body sent as it is instead of JSON (a multipart upload, see client/media.ts): a Blob, streamed and
   * never copied whole; each attempt (throttling retry, fresh token) reads it again from the start.
   */
  rawBody?: RawBody;
  /** The access token and where it goes. */
  token?: { in: "query" | "header"; value: string };
  signal?: AbortSignal;
  /** Literal secrets to mask wherever they might appear (app secret). */
  secrets?: readonly (string | undefined)[];
  /**
   * `false`: a throttling answer is thrown at once, not resent. Card calls: their pacer holds the API
   * instead, and the card streamer resends with the latest text (a resend here would carry a stale one and
   * bypass the pacer).
   */
  retryThrottled?: false;
}

/** A body sent as it is: the Blob (e.g. a multipart body whose file part is backed by the file) and its type. */
export interface RawBody {
  blob: Blob;
  /** e.g. `multipart/form-data; boundary=…` */
  contentType: string;
}

/** How throttled calls are retried. */
export interface ThrottleRetry {
  /** Extra attempts after a throttling answer (default 3). */
  retries: number;
  /** First wait in ms (default 1000, DingTalk's advice); doubles each time. */
  baseDelayMs: number;
  /** Longest wait in ms (default 8000). */
  maxDelayMs: number;
}

/** Settings of {@link ApiHttp}. */
export interface ApiHttpConfig {
  fetch: typeof fetch;
  baseUrls: BaseUrls;
  logger: Logger;
  timeoutMs: number;
  throttle: ThrottleRetry;
  sleep: Sleep;
  random: () => number;
  now: () => number;
}

/** Default {@link ThrottleRetry}. */
export const DEFAULT_THROTTLE_RETRY: ThrottleRetry = Object.freeze({
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
});

/** The transport of the app client: one JSON call, with throttling retries. */
export class ApiHttp {
  constructor(private readonly config: ApiHttpConfig) {}

  /**
   * Sends a call and returns the parsed success body.
   * @throws AuthError for bad credentials or an invalid/expired token
   * @throws RateLimitedError when DingTalk still throttles after the retries
   * @throws ApiError for any other refusal; HttpError / RequestError when there is no DingTalk answer
   */
  async call(request: ApiRequest): Promise<unknown> {
    const { throttle } = this.config;
    const retries = request.retryThrottled === false ? 0 : throttle.retries;
    return withRetry(() => this.#once(request), {
      policy: { ...throttle, retries, retryRateLimited: true },
      sleep: this.config.sleep,
      ...(request.signal ? { signal: request.signal } : {}),
      // Only throttling: any other refusal of an app-API call is not known to be safe to repeat.
      shouldRetry: (error) => error instanceof RateLimitedError,
      delayMs: (n) => {
        const cap = Math.min(throttle.maxDelayMs, throttle.baseDelayMs * 2 ** n);
        // Half fixed, half jitter: many throttled callers must not come back in the same millisecond.
        return Math.round(cap / 2 + (cap / 2) * this.config.random());
      },
      onRetry: (error, attempt, delayMs) => {
        const throttled = error as RateLimitedError;
        this.config.logger.warn(
          {
            endpoint: throttled.endpoint,
            apiCode: throttled.apiCode,
            errcode: throttled.errcode,
            delayMs,
            attempt,
          },
          "DingTalk throttled the call; retrying",
        );
      },
    });
  }

  async #once(request: ApiRequest): Promise<unknown> {
    const endpoint = `${request.method} ${request.path}`;
    const url = new URL(`${this.config.baseUrls[request.host]}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: "application/json" };
    if (request.token?.in === "query") url.searchParams.set("access_token", request.token.value);
    if (request.token?.in === "header") headers[ACCESS_TOKEN_HEADER] = request.token.value;
    let body: string | Blob | undefined;
    if (request.rawBody !== undefined) {
      headers["content-type"] = request.rawBody.contentType;
      body = request.rawBody.blob;
    } else if (request.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.body);
    }
    const secrets = [request.token?.value, ...(request.secrets ?? [])];
    const started = this.config.now();
    const response = await requestJson(this.config.fetch, {
      // requestJson names GET/POST only; fetch sends any method, and `dingbot api` needs PUT/DELETE too.
      method: request.method as "GET" | "POST",
      url: url.toString(),
      headers,
      timeoutMs: this.config.timeoutMs,
      endpoint,
      secrets,
      ...(body === undefined ? {} : { body }),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    this.config.logger.debug(
      { endpoint, status: response.status, ms: this.config.now() - started },
      "app API call",
    );
    const failure = toApiError(request.host, response.status, response.body, endpoint, secrets);
    if (failure) throw failure;
    if (response.status < 200 || response.status >= 300) {
      throw new HttpError(response.status, endpoint, JSON.stringify(response.body), { secrets });
    }
    return response.body;
  }
}

/**
 * Maps an answer to an error when it is one: old-API `errcode ≠ 0` (any status), new-API non-2xx with
 * `{code, message}`. Returns undefined for a success body.
 * @param host - which API generation answered
 * @param status - HTTP status
 * @param body - parsed JSON body
 * @param endpoint - `METHOD /path`, for the message
 * @param secrets - literal values to mask in DingTalk's message
 */
export function toApiError(
  host: "oapi" | "api",
  status: number,
  body: unknown,
  endpoint: string,
  secrets: readonly (string | undefined)[] = [],
): ApiError | undefined {
  const old = check(OldApiErrorSchema, body);
  if (old.ok && old.value.errcode !== 0) {
    const { errcode, errmsg, sub_code: sub, sub_msg: subMsg, request_id: requestId } = old.value;
    const { kind, hint } = classifyOldApiError(errcode, sub);
    const message = subMsg && !errmsg.includes(subMsg) ? `${errmsg} (${subMsg})` : errmsg;
    return makeError(kind, secrets, {
      status,
      errcode,
      errmsg: message,
      endpoint,
      ...(sub === undefined ? {} : { apiCode: String(sub) }),
      ...(requestId ? { requestId } : {}),
      ...(hint ? { hint } : {}),
    });
  }
  if (host === "api" && (status < 200 || status >= 300)) {
    const neu = check(NewApiErrorSchema, body);
    if (!neu.ok) return undefined;
    const { kind, hint } = classifyNewApiError(neu.value.code, status);
    return makeError(kind, secrets, {
      status,
      apiCode: neu.value.code,
      errmsg: neu.value.message,
      endpoint,
      ...(neu.value.requestid ? { requestId: neu.value.requestid } : {}),
      ...(hint ? { hint } : {}),
    });
  }
  return undefined;
}

type Details = Omit<ConstructorParameters<typeof ApiError>[0], "kind">;

/** The error for an answer; the classes redact errmsg with `secrets` themselves. */
function makeError(kind: AppErrorKind, secrets: readonly (string | undefined)[], details: Details): ApiError {
  const options = { secrets };
  if (kind === "auth" || kind === "credentials")
    return new AuthError({ ...details, kind: "config" }, options);
  if (kind === "rate-limit") return new RateLimitedError({ ...details, kind: "rate-limit" }, options);
  return new ApiError({ ...details, kind }, options);
}

/**
 * Whether an error says the access token itself is invalid or expired (40014, 42001, 88 + sub_code 40014,
 * `InvalidAuthentication`), so a fresh token may succeed. Bad app credentials are not such an error.
 * @param error - anything a call threw
 */
export function isInvalidTokenError(error: unknown): boolean {
  if (!(error instanceof AuthError)) return false;
  if (error.errcode !== undefined) return classifyOldApiError(error.errcode, error.apiCode).kind === "auth";
  return error.apiCode !== undefined && classifyNewApiError(error.apiCode, error.status).kind === "auth";
}
