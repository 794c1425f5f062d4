/**
 * The app API client (enterprise-internal app): tokens of both API generations, calls built from the
 * protocol's endpoint table, users, work notifications and the robot OpenAPI.
 * @module
 */
import { createHash } from "node:crypto";
import { ValidationError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import {
  CARD_ENDPOINTS,
  type CardEndpointName,
  type CardEndpointRequest,
  type CardEndpointResponse,
} from "../protocol/api/cards.js";
import {
  ENDPOINTS,
  type EndpointName,
  type EndpointRequest,
  type EndpointResponse,
  type EndpointSpec,
} from "../protocol/api/endpoints.js";
import {
  MEDIA_ENDPOINTS,
  type MediaEndpointName,
  type MediaEndpointRequest,
  type MediaEndpointResponse,
} from "../protocol/api/media.js";
import { AccessTokenResponseSchema, GetTokenResponseSchema } from "../protocol/api/oauth.js";
import { check, formatIssues } from "../protocol/validate.js";
import {
  ApiHttp,
  type ApiRequest,
  DEFAULT_THROTTLE_RETRY,
  isInvalidTokenError,
  type RawBody,
  type ThrottleRetry,
} from "./api-http.js";
import { resolveBaseUrls } from "./base-url.js";
import { type CardPacer, sharedCardPacer } from "./card-pacer.js";
import { type CardEndpointCaller, Cards } from "./cards.js";
import type { CallOptions, EndpointCaller } from "./endpoint-caller.js";
import { Media, type MediaCaller } from "./media.js";
import { realSleep, type Sleep } from "./retry.js";
import { RobotApi } from "./robot-api.js";
import { type CachedToken, TokenCache, type TokenStore } from "./token-cache.js";
import { WorkNotifications } from "./work-notification.js";

/** Which token: `oapi` (old `gettoken`, sent as the `access_token` query) or `api` (new, sent as a header). */
export type TokenStyle = "oapi" | "api";

/** Options of {@link AppClient}. */
export interface AppClientOptions {
  /** The app's AppKey (Client ID). */
  appKey: string;
  /** The app's AppSecret (Client Secret); never logged. */
  appSecret: string;
  /** The app's AgentId, needed for work notifications. */
  agentId?: number | string;
  /** robotCode for the robot OpenAPI (default: appKey, as for internal apps). */
  robotCode?: string;
  /** One URL for both hosts (the emulator); default env `DINGTALK_BASE_URL`, else DingTalk. */
  baseUrl?: string;
  /** Environment for `DINGTALK_BASE_URL` (default `process.env`). */
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Clock, epoch ms. */
  now?: () => number;
  /** Waits between retries and polls. */
  sleep?: Sleep;
  /** Uniform [0, 1) source for backoff jitter. */
  random?: () => number;
  logger?: Logger;
  /** Per-request timeout in ms (default 10000). */
  timeoutMs?: number;
  /** Refresh tokens this long before expiry, in ms (default 5 minutes). */
  earlyRefreshMs?: number;
  /** Share tokens beyond this process. */
  tokenStore?: TokenStore;
  /** Retries of throttled calls (90018, 90002, Forbidden.AccessDenied.Qps*); card calls are paced instead. */
  throttleRetry?: Partial<ThrottleRetry>;
  /**
   * Card calls allowed per API per second (default 20, DingTalk's figure for standard organisations). Every
   * AppClient of the same app and host in the process shares one {@link CardPacer}.
   */
  cardQps?: number;
}

export type { CallOptions } from "./endpoint-caller.js";

/** A raw call for endpoints dingbot does not wrap (`dingbot api`). */
export interface RawRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** `/v1.0/...` goes to the new API with the header token; anything else to the old API with the query token. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Talks to DingTalk's app APIs as one enterprise-internal app.
 * @example
 * const client = new AppClient({ appKey, appSecret, agentId });
 * const userId = await client.getUserIdByMobile("13800000000");
 * const report = await client.workNotifications.sendAndConfirm({ userIds: [userId] }, workMessages.text("hi"));
 */
export class AppClient implements EndpointCaller, CardEndpointCaller, MediaCaller {
  readonly appKey: string;
  readonly agentId: number | undefined;
  readonly robotCode: string;
  /** Work notifications (工作通知). */
  readonly workNotifications: WorkNotifications;
  /** The robot OpenAPI (1:1 and group messages). */
  readonly robot: RobotApi;
  /** Interactive cards (card_1_0): send, update, stream. */
  readonly cards: Cards;
  /** Media: download what people send, upload and send images, files, voice notes and videos. */
  readonly media: Media;
  readonly #secret: string;
  readonly #http: ApiHttp;
  readonly #tokens: Record<TokenStyle, TokenCache>;
  readonly #logger: Logger;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #cardPacer: CardPacer;

  constructor(options: AppClientOptions) {
    if (!options.appKey) throw new TypeError("appKey is required (env DINGTALK_APP_KEY)");
    if (!options.appSecret) throw new TypeError("appSecret is required (env DINGTALK_APP_SECRET)");
    this.appKey = options.appKey;
    this.#secret = options.appSecret;
    this.agentId = parseAgentId(options.agentId);
    this.robotCode = options.robotCode ?? options.appKey;
    this.#logger = options.logger ?? silentLogger;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    const baseUrl = resolveBaseUrls(options.baseUrl, options.env ?? process.env);
    this.#http = new ApiHttp({
      fetch: options.fetch ?? globalThis.fetch,
      baseUrls: baseUrl,
      logger: this.#logger,
      timeoutMs: options.timeoutMs ?? 10_000,
      throttle: { ...DEFAULT_THROTTLE_RETRY, ...options.throttleRetry },
      sleep: this.#sleep,
      random: options.random ?? Math.random,
      now: this.#now,
    });
    // The secret is part of the key (as a hash), so a client with a wrong secret misses a shared store and
    // fails as DingTalk would tell it to, instead of being handed another client's token.
    const storeKeyBase = `${options.appKey}|${createHash("sha256").update(options.appSecret).digest("hex").slice(0, 32)}`;
    const cache = (style: TokenStyle) =>
      new TokenCache({
        fetchToken: (signal) => this.#fetchToken(style, signal),
        now: this.#now,
        ...(options.earlyRefreshMs === undefined ? {} : { earlyRefreshMs: options.earlyRefreshMs }),
        ...(options.tokenStore
          ? { store: options.tokenStore, storeKey: `${baseUrl[style]}|${style}|${storeKeyBase}` }
          : {}),
      });
    this.#tokens = { oapi: cache("oapi"), api: cache("api") };
    this.workNotifications = new WorkNotifications(this, {
      sleep: this.#sleep,
      now: this.#now,
      logger: this.#logger,
    });
    this.media = new Media(this, {
      robotCode: this.robotCode,
      fetch: options.fetch ?? globalThis.fetch,
      logger: this.#logger,
      now: this.#now,
    });
    this.robot = new RobotApi(this, this.robotCode, this.media);
    this.cards = new Cards(this, { robotCode: this.robotCode });
    // Shared by app and host: a bot's own card client and an AppClient of the same app count as one caller,
    // as DingTalk counts them.
    this.#cardPacer = sharedCardPacer(
      `${baseUrl.api}|${options.appKey}`,
      options.cardQps === undefined ? {} : { qps: options.cardQps },
      { now: this.#now, sleep: this.#sleep },
    );
  }

  /** The pacer of this app's card calls (shared with every AppClient of the same app and host). */
  get cardPacer(): CardPacer {
    return this.#cardPacer;
  }

  /** Tokens fetched from DingTalk so far, per style (for tests and the benchmark). */
  get tokenFetches(): Record<TokenStyle, number> {
    return { oapi: this.#tokens.oapi.fetches, api: this.#tokens.api.fetches };
  }

  /**
   * A valid token of one style, from the cache or fetched once for all concurrent callers.
   * @throws AuthError when DingTalk refuses the appKey/appSecret
   */
  async getToken(style: TokenStyle = "oapi", options: CallOptions = {}): Promise<CachedToken> {
    return this.#tokens[style].get(options.signal);
  }

  /**
   * Calls an endpoint of the table with checked arguments; the token is added and refreshed once if
   * DingTalk says it is invalid.
   * @param name - e.g. `"workNotification.send"`
   * @param args - the endpoint's parameters
   * @throws ValidationError before sending when `args` do not fit the endpoint's schema
   * @throws AuthError, RateLimitedError, ApiError, HttpError, RequestError
   */
  async call<K extends EndpointName>(
    name: K,
    args: EndpointRequest<K>,
    options: CallOptions = {},
  ): Promise<EndpointResponse<K>> {
    const spec: EndpointSpec = ENDPOINTS[name];
    return (await this.#invoke(name, spec, args, options)) as EndpointResponse<K>;
  }

  /**
   * Calls a card endpoint (the separate `CARD_ENDPOINTS` table; see protocol/api/cards.ts) with checked
   * arguments, exactly as {@link call} does for the main table.
   * @param name - e.g. `"card.streaming"`
   * @param args - the endpoint's body
   * @throws ValidationError before sending when `args` do not fit the endpoint's schema
   * @throws AuthError, RateLimitedError, ApiError, HttpError, RequestError
   */
  async callCard<K extends CardEndpointName>(
    name: K,
    args: CardEndpointRequest<K>,
    options: CallOptions = {},
  ): Promise<CardEndpointResponse<K>> {
    // Paced per API, and never resent underneath: the pacer holds the API after a refusal, and the caller
    // (the card streamer) resends with the latest text.
    return (await this.#cardPacer.run(
      name,
      () => this.#invoke(name, CARD_ENDPOINTS[name], args, options, false),
      options.signal,
    )) as CardEndpointResponse<K>;
  }

  /**
   * Calls a media endpoint (the separate `MEDIA_ENDPOINTS` table; see protocol/api/media.ts) with checked
   * arguments, exactly as {@link call} does for the main table.
   * @throws ValidationError before sending when `args` do not fit the endpoint's schema
   * @throws AuthError, RateLimitedError, ApiError, HttpError, RequestError
   */
  async callMedia<K extends MediaEndpointName>(
    name: K,
    args: MediaEndpointRequest<K>,
    options: CallOptions = {},
  ): Promise<MediaEndpointResponse<K>> {
    return (await this.#invoke(name, MEDIA_ENDPOINTS[name], args, options)) as MediaEndpointResponse<K>;
  }

  /**
   * Posts a multipart body to an old-API path with the `access_token` query (the media upload), through
   * the same token refresh, throttling retries and error mapping as every call.
   * @throws AuthError, RateLimitedError, ApiError, HttpError, RequestError
   */
  async postMultipart(
    path: string,
    query: Record<string, string>,
    body: RawBody,
    options: CallOptions = {},
  ): Promise<unknown> {
    return this.#withToken("query", {
      host: "oapi",
      method: "POST",
      path,
      query,
      rawBody: body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** One checked call of a table entry: check the arguments, add the token, check the answer. */
  async #invoke(
    name: string,
    spec: Omit<EndpointSpec, "method"> & { method: ApiRequest["method"] },
    args: unknown,
    options: CallOptions,
    retryThrottled?: false,
  ): Promise<unknown> {
    const checked = check(spec.request, args);
    if (!checked.ok) {
      throw new ValidationError(`${name}: ${formatIssues(checked.issues)}`, checked.issues, "outbound");
    }
    const params = checked.value as Record<string, unknown>;
    const request: Omit<ApiRequest, "token"> = {
      host: spec.host,
      method: spec.method,
      path: spec.path,
      ...(spec.params === "query" ? { query: stringify(params) } : { body: params }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(retryThrottled === false ? { retryThrottled } : {}),
    };
    const body =
      spec.auth === "none" ? await this.#http.call(request) : await this.#withToken(spec.auth, request);
    const parsed = check(spec.response, body);
    if (parsed.ok) return parsed.value;
    // DingTalk adds and changes fields over time: warn, and hand back what it sent.
    this.#logger.warn({ endpoint: name, issues: parsed.issues }, "unexpected answer shape");
    return body;
  }

  /**
   * Calls any endpoint: `/v1.0/...` paths on the new API with the header token, others on the old API with
   * the query token. Returns DingTalk's JSON body.
   * @throws AuthError, RateLimitedError, ApiError, HttpError, RequestError
   */
  async request(raw: RawRequest): Promise<unknown> {
    const isNew = raw.path.startsWith("/v1.0/") || raw.path.startsWith("/v2.0/");
    const request = {
      host: isNew ? "api" : "oapi",
      method: raw.method,
      path: raw.path.startsWith("/") ? raw.path : `/${raw.path}`,
      ...(raw.query ? { query: raw.query } : {}),
      ...(raw.body === undefined ? {} : { body: raw.body }),
      ...(raw.signal ? { signal: raw.signal } : {}),
    } as Omit<ApiRequest, "token">;
    return this.#withToken(isNew ? "header" : "query", request);
  }

  /**
   * A person's userid by mobile number.
   * @param mobile - e.g. `13800000000`
   * @param options - `legacy: true` uses the old `GET /user/get_by_mobile`
   * @throws ApiError with errcode 60121 when nobody has that number
   */
  async getUserIdByMobile(mobile: string, options: CallOptions & { legacy?: boolean } = {}): Promise<string> {
    if (options.legacy) return (await this.call("user.getByMobileLegacy", { mobile }, options)).userid;
    const answer = await this.call(
      "user.getByMobile",
      { mobile, support_exclusive_account_search: true },
      options,
    );
    return answer.result.userid;
  }

  /**
   * A person's details by userid.
   * @throws ApiError with errcode 60121 when nobody has that userid
   */
  async getUser(userId: string, options: CallOptions = {}): Promise<EndpointResponse<"user.get">["result"]> {
    return (await this.call("user.get", { userid: userId }, options)).result;
  }

  async #withToken(auth: "query" | "header", request: Omit<ApiRequest, "token">): Promise<unknown> {
    const style: TokenStyle = auth === "header" ? "api" : "oapi";
    const token = await this.#tokens[style].get(request.signal);
    try {
      return await this.#http.call({
        ...request,
        token: { in: auth, value: token.value },
        secrets: [this.#secret],
      });
    } catch (error) {
      if (!isInvalidTokenError(error)) throw error;
      // One transparent retry: the token expired or was revoked between our check and DingTalk's.
      this.#logger.debug({ endpoint: `${request.method} ${request.path}` }, "token refused; refreshing once");
      await this.#tokens[style].invalidate(token.value);
      const fresh = await this.#tokens[style].get(request.signal);
      return this.#http.call({
        ...request,
        token: { in: auth, value: fresh.value },
        secrets: [this.#secret],
      });
    }
  }

  async #fetchToken(
    style: TokenStyle,
    signal?: AbortSignal,
  ): Promise<{ value: string; expiresInSeconds: number }> {
    const base = { secrets: [this.#secret], ...(signal ? { signal } : {}) };
    if (style === "oapi") {
      const spec = ENDPOINTS["oauth.getToken"];
      const body = await this.#http.call({
        ...base,
        host: spec.host,
        method: spec.method,
        path: spec.path,
        query: { appkey: this.appKey, appsecret: this.#secret },
      });
      const parsed = check(GetTokenResponseSchema, body);
      if (!parsed.ok)
        throw new ValidationError("gettoken answered without access_token", parsed.issues, "inbound");
      return { value: parsed.value.access_token, expiresInSeconds: parsed.value.expires_in };
    }
    const spec = ENDPOINTS["oauth.accessToken"];
    const body = await this.#http.call({
      ...base,
      host: spec.host,
      method: spec.method,
      path: spec.path,
      body: { appKey: this.appKey, appSecret: this.#secret },
    });
    const parsed = check(AccessTokenResponseSchema, body);
    if (!parsed.ok)
      throw new ValidationError("oauth2/accessToken answered without accessToken", parsed.issues, "inbound");
    return { value: parsed.value.accessToken, expiresInSeconds: parsed.value.expireIn };
  }
}

function parseAgentId(value: number | string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new TypeError(
      `agentId must be a positive whole number (the app's AgentId), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function stringify(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = String(value);
  return out;
}
