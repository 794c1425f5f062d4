/**
 * The bot framework: middleware, context, and the HTTP and Stream transports.
 * @module
 */
// Bot core: middleware, context, replies, dedupe.
export { Bot, type BotErrorHandler, type BotOptions, type ContextConstructor } from "./bot.js";
// Several app robots in one process.
export {
  BOTS_BRAND,
  Bots,
  type BotsEntry,
  type BotsEntryOptions,
  type BotsHttpHandler,
  type BotsHttpOptions,
  type BotsMember,
  type BotsStreamOptions,
  type BotsStreamStart,
  isBots,
} from "./bots.js";
export {
  CardActionContext,
  type CardActionHandler,
  type CardActionInfo,
  type CardActionTrigger,
  matchesAction,
} from "./card-action.js";
export {
  AI_CARD_FALLBACK_NOTE,
  AI_CARD_OVERFLOW_NOTE,
  AI_CARD_TEXT_MAX_BYTES,
  type AiCardDeps,
  type CardRetryBudget,
  CardStreamer,
  type CardStreamerOptions,
  CardStreamRefusedError,
  chunksOf,
  DEFAULT_CARD_RETRY,
  DEFAULT_STREAM_ERROR_LINE,
  DEFAULT_STREAM_INTERVAL_MS,
  DEFAULT_STREAM_TITLE,
  isWorthRetrying,
  MARKDOWN_PART_MAX_BYTES,
  type ReplyStreamOptions,
  type ReplyStreamResult,
  realStreamTimer,
  type StreamAiCardToOptions,
  type StreamIntoCardOptions,
  type StreamingCardHandle,
  type StreamSend,
  type StreamSource,
  type StreamTimer,
  streamAiCard,
  streamAiCardTo,
  streamIntoCard,
  withStreaming,
} from "./card-stream.js";
export {
  Composer,
  type ErrorHandler,
  type HearsTrigger,
  type Middleware,
  type MiddlewareFn,
  type MiddlewareObj,
  type NextFunction,
} from "./composer.js";
export {
  Context,
  type ContextCardServices,
  type ReplyCardOptions,
  type ReplyMentionOptions,
} from "./context.js";
export type {
  ContextDownloadOptions,
  ContextMediaServices,
  MediaReplyResult,
  ReplyVideoOptions,
} from "./download.js";
export {
  type ChatType,
  hasMedia,
  hasMsgtype,
  isChatType,
  isGroup,
  isPrivate,
  isQuotedReply,
  type MsgtypeContext,
} from "./filters.js";
export { dedupe } from "./middleware/dedupe.js";
export {
  DEDUPE_DEFAULT_MAX,
  DEDUPE_DEFAULT_TTL_MS,
  type DedupeOptions,
  MsgIdCache,
} from "./msg-id-cache.js";
export {
  type ApiFallback,
  type ApiFallbackRequest,
  type ReplyChannel,
  type ReplyResult,
  ReplyUnavailableError,
  SESSION_EXPIRED_ERRCODE,
} from "./replier.js";
// HTTP callback transport.
export {
  type BotLike,
  createHttpHandler,
  type HttpCallbackHandler,
  type HttpServerTransport,
  type HttpServerTransportOptions,
  httpServerTransport,
} from "./transports/http.js";

import {
  type BotLike,
  type HttpCallbackHandler,
  httpTransport as makeHttpCallbackHandler,
} from "./transports/http.js";

/**
 * The old name of {@link HttpCallbackHandler}.
 * @deprecated use `HttpCallbackHandler`
 */
export type HttpHandler = HttpCallbackHandler;
/**
 * The old name of {@link BotLike}.
 * @deprecated use `BotLike`
 */
export type UpdateHandler = BotLike;

/**
 * Answers DingTalk's signed HTTP callbacks for a bot: a request handler to mount or `listen()` with, not a
 * {@link Transport} for `bot.start()` (that is {@link httpServerTransport}), hence the name.
 * @example
 * const handler = httpCallbackHandler(bot, { appSecret: process.env.DINGTALK_APP_SECRET!, path: "/dd_robot" });
 * const server = await handler.listen(3000);
 */
export const httpCallbackHandler: typeof makeHttpCallbackHandler = makeHttpCallbackHandler;

/**
 * The old name of {@link httpCallbackHandler}.
 * @deprecated use `httpCallbackHandler`: it is a request handler, not a Transport for `bot.start()`
 */
export const httpTransport: typeof makeHttpCallbackHandler = makeHttpCallbackHandler;
export {
  CARD_SIGNATURE_HEADER,
  CARD_SIGNATURE_TIMESTAMP_HEADER,
  signCardCallback,
  verifyCardCallbackSignature,
} from "../protocol/card-signing.js";
export {
  HTTP_DEFAULT_CARD_PATH,
  HTTP_DEFAULT_MAX_BODY_BYTES,
  HTTP_DEFAULT_TIMEOUT_MS,
  type HttpTransportOptions,
} from "./transports/http-core.js";
export { type NodeListener, type RunningHttpServer, toNodeListener } from "./transports/http-node.js";
// Stream-mode transport.
export {
  Backoff,
  type BackoffOptions,
  type EventStatus,
  type GatewayTicket,
  openGateway,
  STREAM_DEFAULT_UA,
  type StateListener,
  type StreamAckPolicy,
  type StreamEvent,
  type StreamState,
  type StreamStats,
  type StreamTransport,
  type StreamTransportOptions,
  streamTransport,
  type WebSocketConstructor,
} from "./transports/stream/index.js";
export type {
  CardCallbackHandler,
  Dispatch,
  ReplyBody,
  Responder,
  Transport,
  TransportHooks,
  Update,
} from "./transports/transport.js";
