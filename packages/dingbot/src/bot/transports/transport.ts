/**
 * The contract between the bot core and its transports (HTTP callback, Stream). Interfaces only, no I/O:
 * the core never knows which transport is running.
 * @module
 */

import type { InboundMessage } from "../../protocol/inbound/robot-message.js";
import type { RobotMessageBody } from "../../protocol/outbound/messages.js";

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

/** A way of receiving updates. */
export interface Transport {
  start(dispatch: Dispatch, signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}
