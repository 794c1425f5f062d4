/**
 * The emulator's Stream mode: tickets, the WebSocket server and its hub.
 * @module
 */
export type { DisconnectHow, EventDeliveryResult } from "./hub.js";
export { StreamServer } from "./hub.js";
export { STREAM_CONNECT_PATH, streamListenHook } from "./listen-hook.js";
export type { ConnectionInfo } from "./server-connection.js";
export { TicketBook } from "./tickets.js";
