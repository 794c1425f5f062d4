/**
 * De-duplication by msgId. DingTalk re-sends a callback it considers unanswered (HTTP 5xx or timeout,
 * Stream without ack) with the same msgId; the handlers must see it once.
 * @module
 */

import type { MiddlewareFn } from "../composer.js";
import type { Context } from "../context.js";
import { type DedupeOptions, MsgIdCache } from "../msg-id-cache.js";

/**
 * Middleware that stops a message whose msgId was already seen; the Bot installs it first by default.
 * A message whose handlers threw is forgotten, so a retry of it runs them again.
 * @param options - cache size, TTL and clock
 * @example
 * const bot = new Bot({ dedupe: false });
 * bot.use(dedupe({ ttlMs: 60_000 }));
 */
export function dedupe(options: DedupeOptions = {}): MiddlewareFn<Context> {
  return dedupeWith(new MsgIdCache(options));
}

/**
 * {@link dedupe} around a given memory. An update its transport already recorded in this same memory
 * (`update.deduplicatedBy`: a Stream transport using the bot's memory) passes without a second lookup.
 * @param cache - the msgId memory
 */
export function dedupeWith(cache: MsgIdCache): MiddlewareFn<Context> {
  return (ctx, next) => {
    if (ctx.update.deduplicatedBy === cache) return next();
    const msgId = ctx.msgId;
    if (!cache.add(msgId)) {
      ctx.logger.debug({ msgId }, "duplicate msgId dropped");
      return;
    }
    // A message whose handling failed is forgotten: the transport reported the failure (HTTP 500), so
    // DingTalk's retry of it should run the handlers again rather than be dropped as a duplicate.
    return next().catch((error: unknown) => {
      cache.delete(msgId);
      throw error;
    });
  };
}
