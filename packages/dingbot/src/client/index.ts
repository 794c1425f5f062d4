/**
 * Clients that talk to DingTalk: the custom-robot webhook sender and the app API client.
 * @module
 */

// The errors, logger and redaction the webhook sender uses, so `dingbot/client` alone is enough to use it.
export * from "../errors.js";
export { type Logger, silentLogger } from "../logger.js";
export { redactText, redactUrl } from "../redact.js";
export {
  ApiHttp,
  type ApiRequest,
  DEFAULT_THROTTLE_RETRY,
  isInvalidTokenError,
  type RawBody,
  type ThrottleRetry,
  toApiError,
} from "./api-http.js";
export {
  AppClient,
  type AppClientOptions,
  type CallOptions,
  type RawRequest,
  type TokenStyle,
} from "./app-client.js";
export { type BaseUrls, rebaseUrl, resolveBaseUrls } from "./base-url.js";
export {
  CARD_QPS_WINDOW_MS,
  CardPacer,
  type CardPacerOptions,
  DEFAULT_CARD_QPS,
  sharedCardPacer,
} from "./card-pacer.js";
export {
  type CardData,
  CardDeliveryError,
  type CardEndpointCaller,
  type CardHandle,
  type CardPrivateDataInput,
  Cards,
  type CardsOptions,
  type CardTarget,
  type CardValue,
  type SendCardOptions,
  type StreamFlags,
  toCardParamMap,
  type UpdateCardOptions,
} from "./cards.js";
export type { EndpointCaller } from "./endpoint-caller.js";
export { type JsonRequest, type JsonResponse, requestJson } from "./http.js";
export {
  DEFAULT_DOWNLOAD_MAX_BYTES,
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  type DownloadedFile,
  type DownloadOptions,
  fetchDownload,
  Media,
  type MediaCaller,
  type MediaOptions,
  type MediaSource,
  type UploadedMedia,
  type UploadOptions,
} from "./media.js";
export {
  type OpenApiReplier,
  type OpenApiReplyRequest,
  openApiReplier,
  type ReplyTarget,
} from "./openapi-replier.js";
export {
  DEFAULT_RATE_WINDOW_MS,
  type LimiterClock,
  RateLimiter,
  type RateLimitOptions,
  sharedRateLimiter,
} from "./rate-limiter.js";
export {
  fewRetriesQuickly,
  isSafeToRetry,
  noRetry,
  patientRetries,
  type RetryPolicy,
  realSleep,
  retryDelayMs,
  type Sleep,
  type WithRetryOptions,
  withRetry,
} from "./retry.js";
export {
  type BatchSendResult,
  RobotApi,
  type RobotFileDownloader,
  type RobotTarget,
  toRobotTemplate,
} from "./robot-api.js";
export { jsonStringCost, type SplitOptions, splitText, type UnitCost, utf8Cost } from "./split.js";
export {
  type CachedToken,
  type FetchedToken,
  TokenCache,
  type TokenCacheOptions,
  type TokenStore,
} from "./token-cache.js";
export {
  DEFAULT_WEBHOOK_RETRY,
  type SendOptions,
  type SendResult,
  WebhookClient,
  type WebhookClientOptions,
} from "./webhook-client.js";
export { SECURITY_ERRCODE, securityHint, type WebhookErrorContext, webhookError } from "./webhook-errors.js";
export {
  buildReport,
  type ConfirmOptions,
  type DeliveryReport,
  type RecipientOutcome,
  type RecipientOutcomeKind,
  type SendProgress,
  toWorkMsg,
  type WorkNotificationDeps,
  WorkNotifications,
  type WorkNotificationTarget,
  workMessages,
} from "./work-notification.js";
