/**
 * dingbot: typed DingTalk robots.
 * @module
 */
export * from "./bot/index.js";
export * from "./client/index.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./protocol/index.js";
export * from "./redact.js";
export * from "./version.js";
