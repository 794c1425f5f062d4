/**
 * Protocol constants: hosts, paths, header names and limits, exactly as DingTalk spells them.
 * See docs/protocol-decisions.md for the values that the public sources disagree on.
 * @module
 */

/** Old-style API host (custom robot webhook, gettoken, topapi). */
export const OAPI_BASE_URL = "https://oapi.dingtalk.com";
/** New-style API host (`/v1.0/...`, the Stream gateway). */
export const API_BASE_URL = "https://api.dingtalk.com";
/** Environment variable that points every part of dingbot at one base URL (the emulator). */
export const BASE_URL_ENV = "DINGTALK_BASE_URL";

/** Path of the custom group robot webhook. */
export const ROBOT_SEND_PATH = "/robot/send";
/** Path of a message's reply session webhook. */
export const ROBOT_SEND_BY_SESSION_PATH = "/robot/sendBySession";
/** Path that opens a Stream-mode connection. */
export const GATEWAY_OPEN_PATH = "/v1.0/gateway/connections/open";
/** Stream topic on which robot messages arrive. */
export const ROBOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get";

/** Header carrying the new-API access token. */
export const ACCESS_TOKEN_HEADER = "x-acs-dingtalk-access-token";
/** Header names of a signed HTTP callback (lower-case, as Fetch normalises them). */
export const CALLBACK_TIMESTAMP_HEADER = "timestamp";
/** Header carrying the callback signature. */
export const CALLBACK_SIGN_HEADER = "sign";

/** Largest webhook request body DingTalk accepts, in bytes. */
export const WEBHOOK_MAX_BODY_BYTES = 20_000;
/** Messages a custom robot may send per window. */
export const WEBHOOK_RATE_LIMIT_PER_MINUTE = 20;
/** Length of the rate window, in milliseconds. */
export const WEBHOOK_RATE_WINDOW_MS = 60_000;
/** How long DingTalk blocks a robot that exceeded the rate limit, in milliseconds. */
export const WEBHOOK_BLOCK_MS = 10 * 60_000;
/** Largest allowed distance between a signature's timestamp and the server clock, in milliseconds. */
export const SIGNATURE_WINDOW_MS = 60 * 60_000;
/** Most keywords a custom robot may have. */
export const MAX_KEYWORDS = 10;
/** Lifetime of a message's `sessionWebhook`, in milliseconds (90 minutes in every sample). */
export const SESSION_WEBHOOK_TTL_MS = 90 * 60_000;
/** Lifetime of a Stream ticket, in milliseconds. */
export const STREAM_TICKET_TTL_MS = 90_000;
/** Access token lifetime DingTalk announces, in seconds. */
export const ACCESS_TOKEN_TTL_SECONDS = 7200;
/** Recipients per robot 1:1 batch send. */
export const ROBOT_BATCH_SEND_MAX_USERS = 20;
/** Largest `msgParam` of a robot group message, in bytes. */
export const ROBOT_GROUP_MSG_PARAM_MAX_BYTES = 15_000;
