import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ApiError,
  AuthError,
  HttpError,
  RateLimitedError,
  RequestError,
  ValidationError,
} from "../errors.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import {
  groupText,
  recordingResponder,
  type SessionServer,
  startSessionServer,
  T0,
  updateOf,
} from "./_fixtures.js";
import { Bot, type BotOptions } from "./bot.js";
import type { Context } from "./context.js";
import { type ApiFallbackRequest, ReplyUnavailableError } from "./replier.js";
import type { ReplyBody } from "./transports/transport.js";

let session: SessionServer;
beforeEach(async () => {
  session = await startSessionServer();
});
afterEach(async () => {
  await session.close();
});

/** Runs a handler for one message with the given clock; returns the inline replies and the handler's result. */
async function handle(
  message: InboundMessage,
  handler: (ctx: Context) => Promise<unknown>,
  options: BotOptions & { inline?: boolean } = {},
): Promise<{ inline: ReplyBody[]; result: unknown }> {
  const bot = new Bot({ now: () => T0, ...options });
  let result: unknown;
  bot.use(async (ctx) => {
    result = await handler(ctx);
  });
  const responder = recordingResponder(options.inline ?? true);
  await bot.handleUpdate(updateOf(message), responder);
  return { inline: responder.inline, result };
}

const withSession = (text: string, extra: Record<string, unknown> = {}) =>
  groupText(text, { sessionWebhook: session.webhook, ...extra });

describe("Replier (ctx.reply delivery)", () => {
  it("puts the first reply inline and later ones through the sessionWebhook", async () => {
    const { inline, result } = await handle(withSession("x"), async (ctx) => [
      await ctx.replyText("one"),
      await ctx.replyText("two"),
      await ctx.replyMarkdown("t", "three"),
    ]);
    expect(result).toEqual([{ via: "inline" }, { via: "session-webhook" }, { via: "session-webhook" }]);
    expect(inline).toEqual([{ msgtype: "text", text: { content: "one" } }]);
    expect(session.received).toEqual([
      { msgtype: "text", text: { content: "two" } },
      { msgtype: "markdown", markdown: { title: "t", text: "three" } },
    ]);
  });

  it("sends only the first of two concurrent replies inline", async () => {
    const { inline } = await handle(withSession("x"), (ctx) =>
      Promise.all([ctx.replyText("a"), ctx.replyText("b")]),
    );
    expect(inline).toHaveLength(1);
    expect(session.received).toHaveLength(1);
  });

  it("uses the sessionWebhook when the inline window has closed", async () => {
    const { inline, result } = await handle(withSession("x"), (ctx) => ctx.replyText("late"), {
      inline: false,
    });
    expect(result).toEqual({ via: "session-webhook" });
    expect(inline).toEqual([]);
    expect(session.received).toEqual([{ msgtype: "text", text: { content: "late" } }]);
  });

  it("re-hosts the sessionWebhook onto baseUrl (the emulator)", async () => {
    const message = groupText("x"); // sessionWebhook on oapi.dingtalk.com
    await handle(message, (ctx) => ctx.replyText("hi"), { inline: false, baseUrl: session.url });
    expect(session.received).toEqual([{ msgtype: "text", text: { content: "hi" } }]);
  });

  it("after sessionWebhookExpiredTime says to pass apiFallback, without posting", async () => {
    const expired = withSession("x", { sessionWebhookExpiredTime: T0 - 1 });
    await expect(handle(expired, (ctx) => ctx.replyText("hi"), { inline: false })).rejects.toMatchObject({
      error: expect.any(ReplyUnavailableError),
    });
    const bot = new Bot({ now: () => T0 });
    bot.use((ctx) => ctx.replyText("hi"));
    const rejection = await bot
      .handleUpdate(updateOf(expired), recordingResponder(false))
      .catch((e: unknown) => e);
    expect(String((rejection as { error: Error }).error.message)).toBe(
      "the sessionWebhook expired; pass apiFallback (see docs) to reply through the robot OpenAPI",
    );
    expect(session.received).toEqual([]);
  });

  it("after expiry replies through apiFallback", async () => {
    const calls: ApiFallbackRequest[] = [];
    const expired = withSession("x", { sessionWebhookExpiredTime: T0 - 1 });
    const { result } = await handle(expired, (ctx) => ctx.replyText("via api"), {
      inline: false,
      robotCode: "robotX",
      apiFallback: async (request) => {
        calls.push(request);
      },
    });
    expect(result).toEqual({ via: "api" });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toEqual({ msgtype: "text", text: { content: "via api" } });
    expect(calls[0]?.message.conversationId).toBe("cidAsXSBLnA==");
    expect(calls[0]?.robotCode).toBe("dingxxxxr3xc0b");
  });

  it("treats a sessionWebhook that is not a URL as unusable: apiFallback, or a clear ReplyUnavailableError", async () => {
    // Found by the fuzz campaign: "not a url" passed the schema and the reply died on a bare TypeError.
    const broken = groupText("x", { sessionWebhook: "not a url" });
    const calls: ApiFallbackRequest[] = [];
    const { result } = await handle(broken, (ctx) => ctx.replyText("via api"), {
      inline: false,
      baseUrl: session.url,
      apiFallback: async (request) => {
        calls.push(request);
      },
    });
    expect(result).toEqual({ via: "api" });
    expect(calls).toHaveLength(1);
    const rejection = await handle(broken, (ctx) => ctx.replyText("hi"), { inline: false }).catch(
      (e: unknown) => e,
    );
    expect((rejection as { error: Error }).error).toBeInstanceOf(ReplyUnavailableError);
    expect((rejection as { error: Error }).error.message).toMatch(/sessionWebhook is not a URL/);
  });

  it("treats errcode 300001 from the sessionWebhook as expired", async () => {
    session.answer = { status: 200, body: '{"errcode":300001,"errmsg":"session 不存在"}' };
    const calls: unknown[] = [];
    const { result } = await handle(withSession("x"), (ctx) => ctx.replyText("x"), {
      inline: false,
      apiFallback: async (r) => calls.push(r),
    });
    expect(result).toEqual({ via: "api" });
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['{"errcode":400105,"errmsg":"不支持的消息类型"}', 200, ApiError],
    ['{"errcode":410100,"errmsg":"send too fast"}', 200, RateLimitedError],
    ["<html>bad gateway</html>", 502, HttpError],
    ["not json", 200, HttpError],
  ])("maps the answer %s (HTTP %i) to an error", async (body, status, ErrorClass) => {
    session.answer = { status, body };
    let error: unknown;
    await handle(withSession("x"), (ctx) => ctx.replyText("x").catch((e: unknown) => (error = e)), {
      inline: false,
    });
    expect(error).toBeInstanceOf(ErrorClass);
    expect(String((error as Error).message)).not.toContain("5e55i0n");
  });

  it("redacts the session from DingTalk's errmsg, as the webhook client does", async () => {
    session.answer = {
      status: 200,
      body: `{"errcode":400105,"errmsg":"bad session 5e55i0n at ${session.webhook}"}`,
    };
    let error: unknown;
    await handle(withSession("x"), (ctx) => ctx.replyText("x").catch((e: unknown) => (error = e)), {
      inline: false,
    });
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).errmsg).not.toContain("5e55i0n");
    expect((error as ApiError).message).not.toContain("5e55i0n");
  });

  it("maps 310000 (security settings) to AuthError with the webhook client's hint", async () => {
    session.answer = { status: 200, body: '{"errcode":310000,"errmsg":"keywords not in content"}' };
    let error: unknown;
    await handle(withSession("x"), (ctx) => ctx.replyText("x").catch((e: unknown) => (error = e)), {
      inline: false,
    });
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).hint).toMatch(/keyword/);
  });

  it("maps a refused connection to RequestError without the session in the message", async () => {
    const url = session.webhook;
    await session.close();
    let error: unknown;
    await handle(
      groupText("x", { sessionWebhook: url }),
      (ctx) => ctx.replyText("x").catch((e: unknown) => (error = e)),
      {
        inline: false,
      },
    );
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).not.toContain("5e55i0n");
    session = await startSessionServer();
  });

  it("refuses an invalid reply body before sending it", async () => {
    let error: unknown;
    await handle(withSession("x"), (ctx) =>
      ctx.reply({ msgtype: "text", text: { content: "" } }).catch((e: unknown) => (error = e)),
    );
    expect(error).toBeInstanceOf(ValidationError);
  });

  it("noReply after the inline slot closed sends nothing", async () => {
    const { result } = await handle(withSession("x"), (ctx) => ctx.noReply(), { inline: false });
    expect(result).toEqual({ via: "none" });
    expect(session.received).toEqual([]);
  });
});
