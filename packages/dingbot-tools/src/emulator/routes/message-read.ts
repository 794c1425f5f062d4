/**
 * `POST /_emulator/messages/:id/read` with `{"userId": "…"}`: a person reads a work notification or an
 * OpenAPI message, which getsendresult, readStatus and groupMessages/query then report.
 * @module
 */
import type { Hono } from "hono";
import type { EmulatorContext, RouteInstaller } from "../context.js";

/** The read-state control route. */
export const installMessageRead: RouteInstaller = (app: Hono, ctx: EmulatorContext) => {
  app.post("/_emulator/messages/:id/read", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'body must be JSON: {"userId": "…"}' }, 400);
    }
    const userId = (body as { userId?: unknown } | null)?.userId;
    if (typeof userId !== "string" || userId === "") {
      return c.json({ error: 'userId is required: {"userId": "…"}' }, 400);
    }
    const message = ctx.store.messages.find((m) => m.id === c.req.param("id"));
    if (!message) return c.json({ error: `no message with id ${c.req.param("id")}` }, 404);
    const conversation = ctx.store.conversations.get(message.conversationId);
    if (!conversation?.members.includes(userId)) {
      return c.json({ error: `${userId} is not in the message's conversation` }, 400);
    }
    const readAt = ctx.store.now();
    message.readBy = { ...message.readBy, [userId]: readAt };
    return c.json({ ok: true, messageId: message.id, userId, readAt });
  });
};
