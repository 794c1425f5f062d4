import { describe, expect, expectTypeOf, it } from "vitest";
import { BotError } from "../errors.js";
import type { Logger } from "../logger.js";
import { sign } from "../protocol/signing.js";
import { groupText, recordingResponder, T0, updateOf } from "./_fixtures.js";
import { Bot } from "./bot.js";
import { Context } from "./context.js";
import * as botEntry from "./index.js";
import { MsgIdCache } from "./msg-id-cache.js";
import * as httpModule from "./transports/http.js";
import { httpServerTransport } from "./transports/http.js";
import type { TransportHooks } from "./transports/transport.js";

const SECRET = "teTLGS3xZVLp6Z99mXvgVpINOUyJqFsKJ3jLb7crFdjRsJ3_77E-kxhlIbBGbNjX";

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (obj: object, msg?: string) => {
    lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  };
  return { lines, debug: write, info: write, warn: write, error: write };
}

/** A user's own context: an extra method, as grammY users write them. */
class ShoutingContext extends Context {
  shout(text: string) {
    return this.replyText(text.toUpperCase());
  }
}

describe("Bot", () => {
  describe("ContextConstructor", () => {
    it("builds ctx from the user's Context subclass, typed in handlers and in bot.catch", async () => {
      const bot = new Bot<ShoutingContext>({ now: () => T0, ContextConstructor: ShoutingContext });
      const caught: unknown[] = [];
      bot.catch((error) => {
        // The error's ctx has the bot's context type: no cast needed.
        expectTypeOf(error.ctx).toEqualTypeOf<ShoutingContext>();
        caught.push(error.ctx);
      });
      bot.command("/shout", async (ctx) => {
        expectTypeOf(ctx.shout).toBeFunction();
        await ctx.shout(ctx.match as string);
      });
      bot.command("/fail", () => {
        throw new Error("boom");
      });
      const responder = recordingResponder();
      await bot.handleUpdate(updateOf(groupText("/shout hello")), responder);
      expect(responder.inline).toEqual([{ msgtype: "text", text: { content: "HELLO" } }]);
      await expect(
        bot.handleUpdate(updateOf(groupText("/fail")), recordingResponder()),
      ).rejects.toBeInstanceOf(BotError);
      expect(caught[0]).toBeInstanceOf(ShoutingContext);
    });

    it("keeps plain Context without the option", async () => {
      const bot = new Bot({ now: () => T0 });
      let seen: unknown;
      bot.use((ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<Context>();
        seen = ctx;
      });
      await bot.handleUpdate(updateOf(groupText("x")), recordingResponder());
      expect(seen).toBeInstanceOf(Context);
      expect(seen).not.toBeInstanceOf(ShoutingContext);
    });
  });

  describe("handleUpdate()", () => {
    it("wraps a throw in BotError, calls bot.catch, then rejects", async () => {
      const bot = new Bot({ now: () => T0 });
      const caught: BotError[] = [];
      bot.catch((error) => {
        caught.push(error);
      });
      bot.use(() => {
        throw new Error("boom");
      });
      await expect(bot.handleUpdate(updateOf(groupText("x")), recordingResponder())).rejects.toBeInstanceOf(
        BotError,
      );
      expect(caught).toHaveLength(1);
      expect(caught[0]?.error).toEqual(new Error("boom"));
    });

    it("logs a throw without the app secret when no catch handler is set", async () => {
      const logger = memoryLogger();
      const bot = new Bot({ now: () => T0, logger, appSecret: SECRET });
      bot.use(() => {
        throw new Error(`failed with ${SECRET}`);
      });
      await bot.handleUpdate(updateOf(groupText("x")), recordingResponder()).catch(() => {});
      expect(logger.lines.join("\n")).toContain("bot handler failed");
      expect(logger.lines.join("\n")).not.toContain(SECRET);
    });

    it("delivers a repeated msgId to the handlers once", async () => {
      const bot = new Bot({ now: () => T0 });
      let hits = 0;
      bot.use(() => {
        hits += 1;
      });
      const message = groupText("x");
      await bot.handleUpdate(updateOf(message), recordingResponder());
      await bot.handleUpdate(updateOf(message), recordingResponder());
      await bot.handleUpdate(updateOf(groupText("x")), recordingResponder());
      expect(hits).toBe(2);
    });

    it("hands its msgId memory to the transport and does not look up an update recorded there again", async () => {
      const bot = new Bot({ now: () => T0 });
      let hits = 0;
      bot.use(() => {
        hits += 1;
      });
      let hooks: TransportHooks | undefined;
      await bot.start({
        start: async (_dispatch, _signal, given) => {
          hooks = given;
        },
        stop: async () => {},
      });
      const seen = hooks?.seen;
      expect(seen).toBeInstanceOf(MsgIdCache);
      const message = groupText("x");
      // A Stream transport records the msgId in the bot's memory before it dispatches, and says so.
      expect(seen?.add(message.msgId)).toBe(true);
      await bot.handleUpdate({ ...updateOf(message), deduplicatedBy: seen }, recordingResponder());
      expect(hits).toBe(1);
      // Another memory's record does not count: this bot's memory decides, and it has now seen x.
      const other = new MsgIdCache();
      const y = groupText("y");
      await bot.handleUpdate({ ...updateOf(y), deduplicatedBy: other }, recordingResponder());
      await bot.handleUpdate(updateOf(y), recordingResponder());
      expect(hits).toBe(2);
      await bot.stop();
    });

    it("hands no memory to a transport when dedupe is off", async () => {
      const bot = new Bot({ dedupe: false });
      let hooks: TransportHooks | undefined;
      await bot.start({
        start: async (_dispatch, _signal, given) => {
          hooks = given;
        },
        stop: async () => {},
      });
      expect(hooks?.seen).toBeUndefined();
      await bot.stop();
    });

    it("delivers repeats when dedupe is off", async () => {
      const bot = new Bot({ now: () => T0, dedupe: false });
      let hits = 0;
      bot.use(() => {
        hits += 1;
      });
      const message = groupText("x");
      await bot.handleUpdate(updateOf(message), recordingResponder());
      await bot.handleUpdate(updateOf(message), recordingResponder());
      expect(hits).toBe(2);
    });
  });

  describe("options", () => {
    it("refuses a non-http baseUrl and a bad replyTimeoutMs when constructed", () => {
      expect(() => new Bot({ baseUrl: "ftp://x" })).toThrow(TypeError);
      expect(() => new Bot({ replyTimeoutMs: 0 })).toThrow(TypeError);
    });

    it("configure() fills options the author left out and keeps the ones set", async () => {
      const bot = new Bot({ robotCode: "mine" });
      bot.configure({ robotCode: "cli", appKey: "key" });
      let code: string | undefined;
      bot.use((ctx) => {
        code = ctx.robotCode;
      });
      await bot.handleUpdate(updateOf(groupText("x", { robotCode: undefined })), recordingResponder());
      expect(code).toBe("mine");
    });
  });

  describe("start() / stop()", () => {
    it("serves callbacks through a transport until stopped", async () => {
      const bot = new Bot();
      bot.hears("ping", (ctx) => ctx.replyText("pong"));
      const transport = httpServerTransport({ appSecret: SECRET, port: 0 });
      await bot.start(transport);
      const url = transport.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ts = String(Date.now());
      const response = await fetch(`${url}/`, {
        method: "POST",
        headers: { timestamp: ts, sign: sign(SECRET, ts), "content-type": "application/json" },
        body: JSON.stringify(groupText("ping")),
      });
      expect(await response.json()).toEqual({ msgtype: "text", text: { content: "pong" } });
      await bot.stop();
      await expect(fetch(`${url}/`, { method: "POST" })).rejects.toThrow();
    });

    it("refuses to start twice", async () => {
      const bot = new Bot();
      const transport = httpServerTransport({ appSecret: SECRET, port: 0 });
      await bot.start(transport);
      await expect(bot.start(httpServerTransport({ appSecret: SECRET, port: 0 }))).rejects.toThrow(
        /already running/,
      );
      await bot.stop();
    });
  });

  it("exports the HTTP callback handler as httpCallbackHandler, keeping httpTransport as its old name", () => {
    expect(botEntry.httpCallbackHandler).toBe(httpModule.httpTransport);
    expect(botEntry.httpTransport).toBe(botEntry.httpCallbackHandler);
  });
});
