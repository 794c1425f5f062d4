/**
 * The wire format, as pure data and functions: the single source of truth shared by the client, the bot
 * and the emulator. No I/O here.
 * @module
 */
export * from "./api/index.js";
export * from "./card-signing.js";
export * from "./constants.js";
export * from "./errcodes.js";
export * from "./inbound/message-parts.js";
export * from "./inbound/read-inbound.js";
export * from "./inbound/robot-message.js";
export * from "./inbound/stream-frame.js";
export * from "./json.js";
export * from "./outbound/at.js";
export * from "./outbound/messages.js";
export * from "./outbound/read-outbound.js";
export * from "./signing.js";
export * from "./validate.js";
export * from "./webhook-url.js";
