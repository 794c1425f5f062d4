/**
 * Clients that talk to DingTalk: the custom-robot webhook sender and the app API client.
 * @module
 */
export * from "./base-url.js";
