/**
 * The contract between the bot core and its transports (HTTP callback, Stream). Interfaces only, no I/O:
 * the core never knows which transport is running.
 * @module
 */

import type { InboundMessage } from "../../protocol/inbound/robot-message.js";
import type { RobotMessageBody } from "../../protocol/outbound/messages.js";
import type { MsgIdCache } from "../msg-id-cache.js";

/** One message delivered to the bot. */
export interface Update {
  /** DingTalk's msgId: the de-duplication key. */
  id: string;
  /** Stream topic, or the robot-message topic for HTTP callbacks. */
  topic: string;
  /** The validated inbound message. */
  message: InboundMessage;
  /** Epoch ms at which the transport received it. */
  receivedAt: number;
  via: "http" | "stream";
  /**
   * The msgId memory that already recorded this update, when its transport dropped repeats itself (Stream
   * does, as it must ack them); a dedupe middleware holding that same memory passes the update on without
   * a second lookup, any other checks it as usual.
   */
  deduplicatedBy?: MsgIdCache;
}

/** A reply body: any robot message, or `{"msgtype":"empty"}` for "no reply". */
export type ReplyBody = RobotMessageBody | { msgtype: "empty" };

/** What a transport can do for one update. */
export interface Responder {
  /** Transport-level acknowledgement (stream ack frame / HTTP 200). Idempotent. */
  ack(): Promise<void>;
  /**
   * Puts a reply in the transport's response slot, if it has one and it is still open.
   * @returns false when the slot is gone (timed out, already used, or the transport has none)
   */
  replyInline?(message: ReplyBody): Promise<boolean>;
}

/** How a transport hands an update to the bot. */
export type Dispatch = (update: Update, responder: Responder) => Promise<void>;

/**
 * Runs one card callback (someone pressed a button on a card) and returns the answer for DingTalk: the
 * HTTP response body, or what the Stream ACK wraps as `{ response }`; undefined for "nothing to change".
 * `bot.handleCardCallback` is one. It rejects with a `ValidationError` (direction "inbound") for a malformed
 * callback and with any other error when the handler failed; the transport maps those to 400 and 500.
 */
export type CardCallbackHandler = (body: unknown) => Promise<unknown>;

/** What else a bot hands its transport besides robot messages. */
export interface TransportHooks {
  /**
   * Card callbacks. Present only when the bot has a `bot.action` handler: a Stream transport subscribes
   * to the card topic only then, so a bot without actions does not take callbacks meant for another
   * consumer of the same app, and an HTTP transport serves its card path only then.
   */
  cardCallback?: CardCallbackHandler;
  /**
   * The bot's msgId memory (its default de-duplication), for a transport that drops repeats itself: using
   * it rather than a memory of its own keeps one record per message for the bot's whole life, across
   * transport restarts, with the bot's `dedupe` settings.
   */
  seen?: MsgIdCache;
}

/** A way of receiving updates. */
export interface Transport {
  /**
   * Starts receiving.
   * @param dispatch - robot messages go here
   * @param signal - aborted when the bot stops
   * @param hooks - card callbacks and other optional ways in (a transport may ignore what it cannot serve)
   */
  start(dispatch: Dispatch, signal: AbortSignal, hooks?: TransportHooks): Promise<void>;
  stop(): Promise<void>;
}
