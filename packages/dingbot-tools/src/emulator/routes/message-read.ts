/**
 * `POST /_emulator/messages/:id/read` with `{"userId": "…"}`: a person reads a work notification or an
 * OpenAPI message, which getsendresult, readStatus and groupMessages/query then report.
 * @module
 */
import type { Hono } from "hono";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { readControlJson } from "./control-http.js";
import { ControlError } from "./control-input.js";

/** The read-state control route. */
export const installMessageRead: RouteInstaller = (app: Hono, ctx: EmulatorContext) => {
  app.post("/_emulator/messages/:id/read", async (c) => {
    // Capped read: an endless upload gets 413 instead of filling memory.
    let body: unknown;
    try {
      body = await readControlJson(c);
    } catch (error) {
      const status = error instanceof ControlError ? error.status : 400;
      const reason = error instanceof ControlError ? error.message : "the body could not be read";
      return c.json({ error: `${reason}; send {"userId": "…"}` }, status);
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
