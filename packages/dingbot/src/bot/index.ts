/**
 * The bot framework: middleware, context, and the HTTP and Stream transports.
 * @module
 */
// Bot core: middleware, context, replies, dedupe.
export { Bot, type BotErrorHandler, type BotOptions } from "./bot.js";
export {
  Composer,
  type ErrorHandler,
  type HearsTrigger,
  type Middleware,
  type MiddlewareFn,
  type MiddlewareObj,
  type NextFunction,
} from "./composer.js";
export { Context, type ReplyMentionOptions } from "./context.js";
export { type ChatType, hasMsgtype, isChatType, isGroup, isPrivate, type MsgtypeContext } from "./filters.js";
export {
  DEDUPE_DEFAULT_MAX,
  DEDUPE_DEFAULT_TTL_MS,
  type DedupeOptions,
  dedupe,
  MsgIdCache,
} from "./middleware/dedupe.js";
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
  createHttpHandler,
  type HttpHandler,
  type HttpServerTransport,
  type HttpServerTransportOptions,
  httpServerTransport,
  httpTransport,
  type UpdateHandler,
} from "./transports/http.js";
export {
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
export type { Dispatch, ReplyBody, Responder, Transport, Update } from "./transports/transport.js";
