import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiError, ValidationError } from "../errors.js";
import { AI_CARD_TEMPLATE_ID } from "../protocol/api/cards.js";
import { type CardServer, FAKE_TOKEN, startCardServer } from "./_card-server.js";
import { AppClient } from "./app-client.js";
import { CardDeliveryError, Cards, toCardParamMap } from "./cards.js";

let server: CardServer;
let client: AppClient;
let cards: Cards;
let ids = 0;

beforeAll(async () => {
  server = await startCardServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.calls.length = 0;
  server.script.clear();
  ids = 0;
  client = new AppClient({
    appKey: "dingappkey",
    appSecret: "app-secret-0123456789",
    baseUrl: server.base,
    env: {},
    throttleRetry: { retries: 0 },
  });
  // The client's own `cards` uses random ids; this one is predictable and posts as another robot.
  cards = new Cards(client, { robotCode: "dingrobot", newId: () => `id-${++ids}` });
});

describe("toCardParamMap()", () => {
  it("writes strings as they are, numbers and booleans with String(), objects and arrays as JSON", () => {
    expect(
      toCardParamMap({
        s: "x",
        n: 3.5,
        b: false,
        big: 10n,
        list: [1, "a"],
        obj: { k: "v" },
        skipped: undefined,
      }),
    ).toEqual({ s: "x", n: "3.5", b: "false", big: "10", list: '[1,"a"]', obj: '{"k":"v"}' });
  });

  it("refuses null, NaN, Dates and functions, naming each, before anything is sent", () => {
    const bad = { a: null, b: Number.NaN, c: new Date(0), d: () => 1 } as unknown as Record<string, string>;
    let error: unknown;
    try {
      toCardParamMap(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues.map((i) => i.path);
    expect(issues).toEqual(["cardParamMap.a", "cardParamMap.b", "cardParamMap.c", "cardParamMap.d"]);
  });
});

describe("Cards", () => {
  it("is exposed by the app client, posting as the app's robot", () => {
    expect(client.cards).toBeInstanceOf(Cards);
    expect(client.cards.robotCode).toBe("dingappkey");
  });

  it("sends a card to a group with createAndDeliver: open space id, robotCode, string data, header token", async () => {
    const card = await cards.send({
      templateId: "tpl.schema",
      data: { title: "Nightly", count: 3, ok: true },
      to: { group: "cidGROUP==" },
      atUserIds: { u1: "Ann" },
    });
    expect(card.outTrackId).toBe("id-1");
    const [call] = server.callsTo("POST /v1.0/card/instances/createAndDeliver");
    expect(call?.headers["x-acs-dingtalk-access-token"]).toBe(FAKE_TOKEN);
    expect(call?.body).toEqual({
      cardTemplateId: "tpl.schema",
      outTrackId: "id-1",
      cardData: { cardParamMap: { title: "Nightly", count: "3", ok: "true" } },
      callbackType: "STREAM",
      userIdType: 1,
      openSpaceId: "dtv1.card//IM_GROUP.cidGROUP==",
      imGroupOpenSpaceModel: { supportForward: true },
      imGroupOpenDeliverModel: { robotCode: "dingrobot", atUserIds: { u1: "Ann" } },
    });
  });

  it("sends a card 1:1 to a person's chat with the robot", async () => {
    await cards.send({ templateId: AI_CARD_TEMPLATE_ID, data: {}, to: { user: "staff42" } });
    const [call] = server.callsTo("POST /v1.0/card/instances/createAndDeliver");
    expect(call?.body).toMatchObject({
      openSpaceId: "dtv1.card//IM_ROBOT.staff42",
      imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode: "dingrobot" },
      imRobotOpenSpaceModel: { supportForward: true },
    });
  });

  it("turns deliverResults[i].success === false into CardDeliveryError although DingTalk answered 200", async () => {
    server.script.set("POST /v1.0/card/instances/createAndDeliver", [
      {
        status: 200,
        body: {
          success: true,
          result: {
            outTrackId: "id-1",
            deliverResults: [
              { spaceType: "IM_GROUP", spaceId: "cid", success: false, errorMsg: "robot not in group" },
            ],
          },
        },
      },
    ]);
    const error = await cards
      .send({ templateId: "t", data: {}, to: { group: "cid" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardDeliveryError);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as CardDeliveryError).failures[0]?.errorMsg).toBe("robot not in group");
    expect((error as CardDeliveryError).outTrackId).toBe("id-1");
    expect((error as CardDeliveryError).apiCode).toBe("card.deliver.failed");
  });

  it("checks deliver's result list too, and a top-level success: false", async () => {
    server.script.set("POST /v1.0/card/instances/deliver", [
      {
        status: 200,
        body: { success: true, result: [{ spaceType: "IM_ROBOT", success: false, errorMsg: "no" }] },
      },
    ]);
    const card = await cards.create({ templateId: "t", data: { a: "1" } });
    await expect(cards.deliver(card.outTrackId, { user: "u" })).rejects.toBeInstanceOf(CardDeliveryError);
    server.script.set("PUT /v1.0/card/instances", [{ status: 200, body: { success: false } }]);
    await expect(card.update({ a: "2" })).rejects.toMatchObject({ apiCode: "success.false" });
  });

  it("updates by key with cardUpdateOptions, and private data per userId", async () => {
    const card = cards.handle("track-1");
    await card.update({ status: "green" }, { privateData: { u1: { mine: 1 } } });
    await card.update({ status: "red" }, { byKey: false });
    const [first, second] = server.callsTo("PUT /v1.0/card/instances");
    expect(first?.body).toEqual({
      outTrackId: "track-1",
      cardData: { cardParamMap: { status: "green" } },
      privateData: { u1: { cardParamMap: { mine: "1" } } },
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      userIdType: 1,
    });
    expect(second?.body).toMatchObject({
      cardUpdateOptions: { updateCardDataByKey: false, updatePrivateDataByKey: false },
    });
  });

  it("streams full content with a fresh guid per call", async () => {
    const card = cards.handle("track-2");
    await card.streamContent("msgContent", "Hel", { isFinalize: false, isError: false });
    await card.streamContent("msgContent", "Hello", { isFinalize: true, isError: false });
    const calls = server.callsTo("PUT /v1.0/card/streaming").map((c) => c.body);
    expect(calls).toEqual([
      {
        outTrackId: "track-2",
        guid: "id-1",
        key: "msgContent",
        content: "Hel",
        isFull: true,
        isFinalize: false,
        isError: false,
      },
      {
        outTrackId: "track-2",
        guid: "id-2",
        key: "msgContent",
        content: "Hello",
        isFull: true,
        isFinalize: true,
        isError: false,
      },
    ]);
  });

  it("registers an HTTP callback route", async () => {
    const result = await cards.registerCallback({
      callbackRouteKey: "route",
      callbackUrl: "https://example.com/card",
    });
    expect(result.callbackUrl).toBe("https://example.com/card");
  });

  it("refuses unsendable data without calling DingTalk, and never puts the token in an error", async () => {
    await expect(
      cards.send({ templateId: "t", data: { when: new Date() as never }, to: { group: "g" } }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(server.calls).toHaveLength(0);
    server.script.set("PUT /v1.0/card/streaming", [
      { status: 400, body: { code: "param.invalid", message: `bad token ${FAKE_TOKEN}` } },
    ]);
    const error = await cards
      .handle("t")
      .streamContent("k", "c", { isFinalize: false, isError: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(String((error as Error).message)).not.toContain(FAKE_TOKEN);
  });
});
