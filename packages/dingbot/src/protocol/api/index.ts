/**
 * The app APIs: endpoint table, request and answer schemas, msgKey catalogue, error classification.
 * @module
 */
export * from "./api-errors.js";
export * from "./cards.js";
export * from "./endpoints.js";
export * from "./media.js";
export * from "./msg-keys.js";
export * from "./oauth.js";
export * from "./robot.js";
export * from "./top-params.js";
export * from "./users.js";
export * from "./work-notification.js";
