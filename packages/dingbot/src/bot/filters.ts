/**
 * Predicates over a Context, with type narrowing: a plain discriminated union on `msgtype`
 * and on `conversationType` (no filter-query language).
 * @module
 */
import { mediaParts, quotedMessage } from "../protocol/inbound/message-parts.js";
import type { InboundMessageOf, InboundMsgtype } from "../protocol/inbound/robot-message.js";
import type { Context } from "./context.js";

/** A context whose message is narrowed to the given msgtypes. */
export type MsgtypeContext<C extends Context, T extends InboundMsgtype> = C & {
  readonly message: InboundMessageOf<T>;
};

/** A chat kind: `"single"` (1:1; `"private"` is an alias) or `"group"`. */
export type ChatType = "single" | "private" | "group";

/**
 * Builds a predicate that holds for the given msgtype(s).
 * @param msgtype - one msgtype or a list
 */
export function hasMsgtype<C extends Context, T extends InboundMsgtype>(
  msgtype: T | readonly T[],
): (ctx: C) => ctx is MsgtypeContext<C, T> {
  const types: readonly InboundMsgtype[] = typeof msgtype === "string" ? [msgtype] : msgtype;
  return (ctx): ctx is MsgtypeContext<C, T> => types.includes(ctx.message.msgtype);
}

/** Whether the message came from a group chat (`conversationType` "2"). */
export function isGroup(ctx: Context): boolean {
  return ctx.message.conversationType === "2";
}

/** Whether the message came from a 1:1 chat (`conversationType` "1"). */
export function isPrivate(ctx: Context): boolean {
  return ctx.message.conversationType === "1";
}

/** Whether the message came from the given kind of chat. */
export function isChatType(ctx: Context, type: ChatType): boolean {
  return type === "group" ? isGroup(ctx) : isPrivate(ctx);
}

/** Whether the message carries a file to download (a picture, voice note, video, file, or a rich text's picture). */
export function hasMedia(ctx: Context): boolean {
  return mediaParts(ctx.message).length > 0;
}

/** Whether the message is a quoted reply to another message (`text.isReplyMsg`). */
export function isQuotedReply(ctx: Context): boolean {
  return quotedMessage(ctx.message) !== undefined;
}
