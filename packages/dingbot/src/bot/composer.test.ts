import { describe, expect, expectTypeOf, it } from "vitest";
import { BotError } from "../errors.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import { groupText, recordingResponder, T0, updateOf } from "./_fixtures.js";
import { Bot } from "./bot.js";
import { Composer } from "./composer.js";
import type { Context } from "./context.js";
import { isGroup, isPrivate } from "./filters.js";

const bot = (): Bot => new Bot({ now: () => T0 });
const run = (b: Bot, message: InboundMessage) => b.handleUpdate(updateOf(message), recordingResponder());

const picture = (): InboundMessage =>
  groupText("", {
    msgtype: "picture",
    text: undefined,
    content: { downloadCode: "dl1", pictureDownloadCode: "p1" },
  });

describe("Composer", () => {
  describe("use()", () => {
    it("runs middleware in order and stops where next() is not called", async () => {
      const b = bot();
      const seen: string[] = [];
      b.use(async (_ctx, next) => {
        seen.push("a");
        await next();
        seen.push("a-after");
      });
      b.use(() => {
        seen.push("b");
      });
      b.use(() => {
        seen.push("c");
      });
      await run(b, groupText("hi"));
      expect(seen).toEqual(["a", "b", "a-after"]);
    });

    it("rejects a second next() call", async () => {
      const b = bot();
      b.use(async (_ctx, next) => {
        await next();
        await next();
      });
      b.use(() => {});
      await expect(run(b, groupText("hi"))).rejects.toBeInstanceOf(BotError);
    });

    it("makes next() return a rejected promise, not throw, when a later middleware throws synchronously", async () => {
      const b = bot();
      const seen: string[] = [];
      b.use((_ctx, next) => {
        // No await: a synchronous throw from next() would skip finally() and escape this middleware.
        let returned: Promise<void> | undefined;
        try {
          returned = next();
        } catch {
          seen.push("next() threw");
          return;
        }
        return returned.finally(() => seen.push("finally"));
      });
      b.use(() => {
        throw new Error("boom");
      });
      await expect(run(b, groupText("hi"))).rejects.toBeInstanceOf(BotError);
      expect(seen).toEqual(["finally"]);
    });

    it("accepts a Composer as middleware", async () => {
      const b = bot();
      const inner = new Composer<Context>();
      let hit = false;
      inner.use(() => {
        hit = true;
      });
      b.use(inner);
      await run(b, groupText("hi"));
      expect(hit).toBe(true);
    });
  });

  describe("on()", () => {
    it("handles only the given msgtype and narrows ctx.message", async () => {
      const b = bot();
      const codes: string[] = [];
      b.on("picture", (ctx) => {
        expectTypeOf(ctx.message.content.downloadCode).toEqualTypeOf<string>();
        codes.push(ctx.message.content.downloadCode);
      });
      await run(b, groupText("hi"));
      await run(b, picture());
      expect(codes).toEqual(["dl1"]);
    });

    it("accepts a list of msgtypes", async () => {
      const b = bot();
      const types: string[] = [];
      b.on(["text", "picture"], (ctx) => {
        types.push(ctx.message.msgtype);
      });
      await run(b, groupText("x"));
      await run(b, picture());
      await run(b, groupText("", { msgtype: "audio", content: { downloadCode: "a" } }));
      expect(types).toEqual(["text", "picture"]);
    });
  });

  describe("command()", () => {
    it("matches after the @-mention space is stripped and puts the arguments in ctx.match", async () => {
      const b = bot();
      const args: unknown[] = [];
      b.command("/deploy", (ctx) => {
        args.push(ctx.match);
      });
      await run(b, groupText("/deploy api prod"));
      await run(b, groupText("/deploy"));
      await run(b, groupText("/deployment"));
      await run(b, groupText("please /deploy"));
      expect(args).toEqual(["api prod", ""]);
    });

    it("adds the slash to a name given without one", async () => {
      const b = bot();
      let hits = 0;
      b.command("help", () => {
        hits += 1;
      });
      await run(b, groupText("/help"));
      await run(b, groupText("help"));
      expect(hits).toBe(1);
    });
  });

  describe("hears()", () => {
    it("matches exact text, a RegExp, or a list, and sets ctx.match", async () => {
      const b = bot();
      const matches: unknown[] = [];
      b.hears("ping", (ctx) => {
        matches.push(ctx.match);
      });
      b.hears(/^weather (\w+)$/, (ctx) => {
        matches.push(ctx.match?.[1]);
      });
      b.hears(["整體跳轉", "整体跳转"], (ctx) => {
        matches.push(ctx.match);
      });
      await run(b, groupText("ping"));
      await run(b, groupText("weather paris"));
      await run(b, groupText("整体跳转"));
      await run(b, groupText("ping pong"));
      expect(matches).toEqual(["ping", "paris", "整体跳转"]);
    });

    it("matches a global RegExp on every message, not every other one", async () => {
      const b = bot();
      let hits = 0;
      b.hears(/a/g, () => {
        hits += 1;
      });
      await run(b, groupText("a"));
      await run(b, groupText("a"));
      expect(hits).toBe(2);
    });

    it("never matches a non-text message", async () => {
      const b = bot();
      let hits = 0;
      b.hears(/.*/, () => {
        hits += 1;
      });
      await run(b, picture());
      expect(hits).toBe(0);
    });
  });

  describe("chatType() and filters", () => {
    it("separates group and 1:1 messages", async () => {
      const b = bot();
      const seen: string[] = [];
      b.chatType("group", () => {
        seen.push("group");
      });
      b.chatType("private", () => {
        seen.push("single");
      });
      await run(b, groupText("a"));
      await run(b, groupText("a", { conversationType: "1" }));
      expect(seen).toEqual(["group", "single"]);
    });

    it("filter() runs the branch only when the predicate holds", async () => {
      const b = bot();
      const seen: string[] = [];
      b.filter(isPrivate, () => {
        seen.push("private");
      });
      b.filter(isGroup).use(() => {
        seen.push("group");
      });
      await run(b, groupText("a"));
      expect(seen).toEqual(["group"]);
    });

    it("filter() waits for an async predicate", async () => {
      const b = bot();
      const seen: string[] = [];
      b.filter(async (ctx) => ctx.text === "yes").use(() => {
        seen.push("yes");
      });
      b.use(() => {
        seen.push("fell through");
      });
      await run(b, groupText("yes"));
      await run(b, groupText("no"));
      expect(seen).toEqual(["yes", "fell through"]);
    });

    it("chains: a group command only answers in groups", async () => {
      const b = bot();
      let hits = 0;
      b.chatType("group").command("/x", () => {
        hits += 1;
      });
      await run(b, groupText("/x", { conversationType: "1" }));
      await run(b, groupText("/x"));
      expect(hits).toBe(1);
    });
  });

  describe("errorBoundary()", () => {
    it("hands errors inside to its handler and lets the rest of the stack continue via next", async () => {
      const b = bot();
      const seen: string[] = [];
      b.errorBoundary(
        async (error, ctx, next) => {
          seen.push(`caught ${(error.error as Error).message} for ${ctx.msgId.slice(0, 10)}`);
          await next();
        },
        () => {
          throw new Error("boom");
        },
      );
      b.use(() => {
        seen.push("after");
      });
      await run(b, groupText("a"));
      expect(seen).toEqual(["caught boom for msgFixture", "after"]);
    });

    it("does not catch errors thrown after the boundary", async () => {
      const b = bot();
      let caught = 0;
      b.errorBoundary(
        () => {
          caught += 1;
        },
        (_ctx, next) => next(),
      );
      b.use(() => {
        throw new Error("later");
      });
      await expect(run(b, groupText("a"))).rejects.toBeInstanceOf(BotError);
      expect(caught).toBe(0);
    });
  });
});
