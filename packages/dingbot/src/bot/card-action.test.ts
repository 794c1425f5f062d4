import { describe, expect, it } from "vitest";
import { startCardServer } from "../client/_card-server.js";
import { BotError, ValidationError } from "../errors.js";
import { Bot } from "./bot.js";

const SECRET = "app-secret-abcdef0123456789";

function callback(actionIds: string[], params: Record<string, unknown> = {}, overrides: object = {}) {
  return {
    corpId: "dingcorp",
    userId: "staff7",
    outTrackId: "track-9",
    type: "actionCallback",
    spaceType: "IM_GROUP",
    spaceId: "cidG==",
    userIdType: 1,
    content: JSON.stringify({ cardPrivateData: { actionIds, params } }),
    extension: "{}",
    ...overrides,
  };
}

describe("bot.action() and bot.handleCardCallback()", () => {
  it("runs the handler of a matching actionId with ctx.card, and answers with ctx.updateCard's data", async () => {
    const bot = new Bot();
    let seen: unknown;
    bot.action("approve", (ctx) => {
      seen = ctx.card;
      ctx.updateCard({ status: "approved", count: 2 });
    });
    const answer = await bot.handleCardCallback(callback(["approve"], { reason: "looks good" }));
    expect(seen).toMatchObject({
      outTrackId: "track-9",
      userId: "staff7",
      spaceType: "IM_GROUP",
      spaceId: "cidG==",
      actionIds: ["approve"],
      params: { reason: "looks good" },
    });
    expect(answer).toEqual({
      cardData: { cardParamMap: { status: "approved", count: "2" } },
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
    });
  });

  it("matches a RegExp over the actionIds (ctx.match) or a predicate; the first match wins", async () => {
    const bot = new Bot();
    const ran: string[] = [];
    bot.action(/^vote:(\w+)$/, (ctx) => {
      ran.push(`regexp ${ctx.match?.[1]}`);
      ctx.updateCard({}, { myVote: ctx.match?.[1] ?? "" });
    });
    bot.action(
      (ctx) => ctx.card.params.form === "survey",
      () => {
        ran.push("predicate");
      },
    );
    const vote = await bot.handleCardCallback(JSON.stringify(callback(["vote:yes"])));
    expect(vote).toMatchObject({
      cardData: { cardParamMap: {} },
      userPrivateData: { cardParamMap: { myVote: "yes" } },
      privateData: { staff7: { cardParamMap: { myVote: "yes" } } },
    });
    expect(await bot.handleCardCallback(callback(["submit"], { form: "survey" }))).toBeUndefined();
    expect(ran).toEqual(["regexp yes", "predicate"]);
  });

  it("answers undefined when nothing matches", async () => {
    const bot = new Bot();
    bot.action("approve", (ctx) => ctx.updateCard({ a: "1" }));
    expect(await bot.handleCardCallback(callback(["reject"]))).toBeUndefined();
  });

  it("refuses a malformed callback or content with a typed error, without running handlers", async () => {
    const bot = new Bot({ appSecret: SECRET });
    let ran = false;
    bot.action(
      () => true,
      () => {
        ran = true;
      },
    );
    for (const body of ["{", { ...callback([]), content: "{not json" }, { userId: "u" }, null]) {
      const error = await bot.handleCardCallback(body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).direction).toBe("inbound");
    }
    expect(ran).toBe(false);
  });

  it("wraps a throwing handler in BotError, with secrets masked", async () => {
    const bot = new Bot({ appSecret: SECRET });
    bot.action("x", () => {
      throw new Error(`boom ${SECRET}`);
    });
    const error = await bot.handleCardCallback(callback(["x"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BotError);
    expect((error as BotError).message).not.toContain(SECRET);
  });

  it("refuses card data that cannot be sent, inside the handler", async () => {
    const bot = new Bot();
    bot.action("x", (ctx) => ctx.updateCard({ when: new Date() as never }));
    const error = await bot.handleCardCallback(callback(["x"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BotError);
    expect((error as BotError).error).toBeInstanceOf(ValidationError);
  });

  it("ctx.cardHandle() updates the card later, through the bot's card API", async () => {
    const server = await startCardServer();
    try {
      const bot = new Bot({ appKey: "dingappkey", appSecret: SECRET, baseUrl: server.base });
      let later: Promise<void> | undefined;
      bot.action("build", (ctx) => {
        ctx.updateCard({ status: "building" });
        later = ctx.cardHandle().update({ status: "green" });
      });
      expect(await bot.handleCardCallback(callback(["build"]))).toMatchObject({
        cardData: { cardParamMap: { status: "building" } },
      });
      await later;
      expect(server.callsTo("PUT /v1.0/card/instances")[0]?.body).toMatchObject({
        outTrackId: "track-9",
        cardData: { cardParamMap: { status: "green" } },
      });
    } finally {
      await server.close();
    }
  });
});
