/**
 * Stream-mode transport: connection state machine, backoff, gateway call.
 * @module
 */
export { Backoff, type BackoffOptions } from "./backoff.js";
export type { StateListener, StreamState, WebSocketConstructor } from "./connection.js";
export { type GatewayTicket, openGateway } from "./gateway.js";
export {
  type EventStatus,
  STREAM_DEFAULT_UA,
  type StreamAckPolicy,
  type StreamEvent,
  type StreamStats,
  type StreamTransport,
  type StreamTransportOptions,
  streamTransport,
} from "./stream-transport.js";
