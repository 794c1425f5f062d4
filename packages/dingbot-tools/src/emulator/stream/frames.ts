/**
 * The frames the emulator's Stream server sends (protocol sections 3.3 and 3.6), built in one place.
 * @module
 */
import { randomBytes } from "node:crypto";
import { CARD_CALLBACK_TOPIC, ROBOT_MESSAGE_TOPIC } from "dingbot-sdk/protocol";

/** Largest frame the emulator sends: the Java SDK refuses frames of 256 KiB and more. */
export const MAX_FRAME_BYTES = 256 * 1024;

/** A frame as the server writes it. */
export interface ServerFrame {
  specVersion: "1.0";
  type: "SYSTEM" | "EVENT" | "CALLBACK";
  headers: Record<string, string>;
  data: string;
}

let counter = 0;
/** Per process, like the host part of DingTalk's ids; randomBytes per message cost ~10 % of a push. */
const PREFIX = randomBytes(4).toString("hex");

/** A messageId in DingTalk's style, e.g. `212ca9d7_974_1898c159aa6_1783b`; unique per process, not secret. */
export function newMessageId(now: number): string {
  counter = (counter + 1) % 0xfffffff;
  const tail = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, "0");
  return `${PREFIX}_${counter.toString(16)}_${now.toString(16)}_${tail}`;
}

/** SYSTEM ping; the client echoes `data`. */
export function pingFrame(now: number): ServerFrame {
  const messageId = newMessageId(now);
  return {
    specVersion: "1.0",
    type: "SYSTEM",
    headers: { topic: "ping", messageId, contentType: "application/json", time: String(now) },
    data: JSON.stringify({ opaque: randomBytes(8).toString("hex") }),
  };
}

/** SYSTEM disconnect: the server will close the socket after a grace period. */
export function disconnectFrame(now: number, reason = "connection is expired"): ServerFrame {
  return {
    specVersion: "1.0",
    type: "SYSTEM",
    headers: {
      topic: "disconnect",
      messageId: newMessageId(now),
      contentType: "application/json",
      time: String(now),
    },
    data: JSON.stringify({ reason }),
  };
}

/** CALLBACK carrying a robot message; `body` must already be validated. */
export function robotCallbackFrame(
  messageId: string,
  appId: string,
  now: number,
  body: Record<string, unknown>,
): ServerFrame {
  return callbackFrame(ROBOT_MESSAGE_TOPIC, messageId, appId, now, body);
}

/**
 * CALLBACK carrying a card callback (someone pressed a card's button), on the topic the official SDKs
 * subscribe to for cards (`TOPIC_CARD` of the Node SDK); `data` is the callback body as JSON text.
 */
export function cardCallbackFrame(
  messageId: string,
  appId: string,
  now: number,
  body: Record<string, unknown>,
): ServerFrame {
  return callbackFrame(CARD_CALLBACK_TOPIC, messageId, appId, now, body);
}

/** What a control call asks to push as an EVENT. */
export interface EventInput {
  eventType: string;
  data: Record<string, unknown>;
  corpId: string;
  unifiedAppId: string;
}

/**
 * EVENT frame. The topic is `*`, as DingTalk sends it: the official Go SDK routes an EVENT by its type
 * and topic and acks 404 when no handler is registered for them, and its all-events handler sits on `*`.
 * The event type travels in `headers.eventType`.
 */
export function eventFrame(messageId: string, now: number, input: EventInput): ServerFrame {
  return {
    specVersion: "1.0",
    type: "EVENT",
    headers: {
      topic: "*",
      messageId,
      contentType: "application/json",
      time: String(now),
      eventType: input.eventType,
      eventId: randomBytes(16).toString("hex"),
      eventBornTime: String(now),
      eventCorpId: input.corpId,
      eventUnifiedAppId: input.unifiedAppId,
    },
    data: JSON.stringify(input.data),
  };
}

/** A CALLBACK frame on `topic` whose `data` is `body` as JSON text. */
function callbackFrame(
  topic: string,
  messageId: string,
  appId: string,
  now: number,
  body: Record<string, unknown>,
): ServerFrame {
  return {
    specVersion: "1.0",
    type: "CALLBACK",
    headers: { appId, contentType: "application/json", messageId, time: String(now), topic },
    data: JSON.stringify(body),
  };
}
