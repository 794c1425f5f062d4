/**
 * Clients of cards against the emulator over real sockets, unchanged but for the endpoint: DingTalk's official
 * OpenAPI SDK (`@alicloud/dingtalk` card_1_0), the official `dingtalk-stream` Node SDK receiving a card
 * callback, dingbot's `AppClient.cards` and `streamAiCardTo`, and a dingbot `Bot` over Stream mode answering
 * with `ctx.replyStream` and `ctx.replyCard` and taking the card's button press with `bot.action`.
 */
import * as $Card from "@alicloud/dingtalk/dist/card_1_0/client.js";
import * as $OpenApi from "@alicloud/openapi-client";
import * as $Util from "@alicloud/tea-util";
import { AppClient, Bot, httpServerTransport, streamAiCardTo, streamTransport } from "dingbot-sdk";
import { AI_CARD_TEMPLATE_ID } from "dingbot-sdk/protocol";
import { DWClient, TOPIC_CARD } from "dingtalk-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { muteSdkConsole, pointAtEmulator } from "../helpers/official-sdk.js";
import { requestJson, type StreamWorld, startStreamWorld, waitUntil } from "./stream-helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies field by field
type Json = Record<string, any>;

let world: StreamWorld;
let group: string;

const control = (method: string, path: string, body?: unknown) =>
  requestJson<Json>(world.baseUrl, method, path, body);

async function accessToken(): Promise<string> {
  const json = await control("POST", "/v1.0/oauth2/accessToken", {
    appKey: world.app.appKey,
    appSecret: world.app.appSecret,
  });
  return json.accessToken as string;
}

/** The official OpenAPI client, pointed at the emulator (the endpoint is the only change). */
function officialCardClient(): $Card.default {
  const url = new URL(world.baseUrl);
  // A CommonJS module: its class is `default`, once more under Node's own ESM interop.
  const module = $Card as unknown as { default: typeof $Card.default & { default?: typeof $Card.default } };
  const Client = module.default.default ?? module.default;
  return new Client(new $OpenApi.Config({ protocol: "http", regionId: "central", endpoint: url.host }));
}

let unmute = () => {};

beforeEach(async () => {
  world = await startStreamWorld({ callbackTimeoutMs: 3000 });
  world.emulator.store.createUser({ userId: "manager1234", name: "张三" });
  group = world.emulator.store.createConversation({
    type: "group",
    title: "卡片群",
    members: ["manager1234"],
    robots: [world.app.robotCode],
  }).conversationId;
  unmute = muteSdkConsole();
});

afterEach(async () => {
  await world.emulator.close();
  unmute();
});

describe("DingTalk's official OpenAPI SDK (card_1_0) against the emulator", () => {
  it("creates and delivers the AI card, streams into it, updates it, and reads a refusal", async () => {
    const client = officialCardClient();
    const headers = (token: string) => ({ xAcsDingtalkAccessToken: token });
    const token = await accessToken();
    const runtime = new $Util.RuntimeOptions({});

    const created = await client.createAndDeliverWithOptions(
      new $Card.CreateAndDeliverRequest({
        cardTemplateId: AI_CARD_TEMPLATE_ID,
        outTrackId: "official-1",
        cardData: new $Card.CreateAndDeliverRequestCardData({
          cardParamMap: { msgTitle: "官方SDK", msgContent: "", flowStatus: "1" },
        }),
        callbackType: "STREAM",
        openSpaceId: `dtv1.card//IM_GROUP.${group}`,
        imGroupOpenSpaceModel: new $Card.CreateAndDeliverRequestImGroupOpenSpaceModel({
          supportForward: true,
        }),
        imGroupOpenDeliverModel: new $Card.CreateAndDeliverRequestImGroupOpenDeliverModel({
          robotCode: world.app.robotCode,
        }),
        userIdType: 1,
      }),
      new $Card.CreateAndDeliverHeaders(headers(token)),
      runtime,
    );
    expect(created.statusCode).toBe(200);
    expect(created.body?.success).toBe(true);
    expect(created.body?.result?.outTrackId).toBe("official-1");
    expect(created.body?.result?.deliverResults?.[0]?.success).toBe(true);

    const streamed = await client.streamingUpdateWithOptions(
      new $Card.StreamingUpdateRequest({
        outTrackId: "official-1",
        guid: "guid-1",
        key: "msgContent",
        content: "流式的回答",
        isFull: true,
        isFinalize: true,
        isError: false,
      }),
      new $Card.StreamingUpdateHeaders(headers(token)),
      runtime,
    );
    expect(streamed.body?.success).toBe(true);

    const updated = await client.updateCardWithOptions(
      new $Card.UpdateCardRequest({
        outTrackId: "official-1",
        cardData: new $Card.UpdateCardRequestCardData({ cardParamMap: { flowStatus: "3" } }),
        cardUpdateOptions: new $Card.UpdateCardRequestCardUpdateOptions({ updateCardDataByKey: true }),
        userIdType: 1,
      }),
      new $Card.UpdateCardHeaders(headers(token)),
      runtime,
    );
    expect(updated.body?.success).toBe(true);
    expect(await control("GET", "/_emulator/cards/official-1")).toMatchObject({
      cardParamMap: { msgTitle: "官方SDK", msgContent: "流式的回答", flowStatus: "3" },
      finalized: true,
      updates: 2,
      conversationId: group,
    });

    const refused = await client
      .createCardWithOptions(
        new $Card.CreateCardRequest({
          cardTemplateId: "no-such-template.schema",
          outTrackId: "official-2",
          cardData: new $Card.CreateCardRequestCardData({ cardParamMap: { a: "b" } }),
        }),
        new $Card.CreateCardHeaders(headers(token)),
        runtime,
      )
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string; statusCode?: number; message?: string },
      );
    expect(refused?.code).toBe("param.templateUnpublished");
    expect(refused?.statusCode).toBe(400);

    const denied = await client
      .streamingUpdateWithOptions(
        new $Card.StreamingUpdateRequest({
          outTrackId: "official-1",
          guid: "guid-2",
          key: "msgContent",
          content: "x",
          isFull: true,
          isFinalize: false,
          isError: false,
        }),
        new $Card.StreamingUpdateHeaders(headers("not-a-token")),
        runtime,
      )
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string; statusCode?: number },
      );
    expect(denied).toMatchObject({ code: "InvalidAuthentication", statusCode: 400 });
  });
});

describe("the official dingtalk-stream SDK receives a card callback", () => {
  let client: DWClient | undefined;
  afterEach(() => {
    client?.disconnect();
    client = undefined;
  });

  it("gets the press on TOPIC_CARD and its answer is applied to the card", async () => {
    await control("POST", "/_emulator/card-templates", {
      templateId: "vote.schema",
      name: "投票",
      fields: ["question", "result"],
      buttons: [{ actionId: "yes", title: "赞成", params: { choice: "yes" } }],
    });
    const token = await accessToken();
    const created = await fetch(`${world.baseUrl}/v1.0/card/instances/createAndDeliver`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": token },
      body: JSON.stringify({
        cardTemplateId: "vote.schema",
        outTrackId: "vote-1",
        cardData: { cardParamMap: { question: "周五团建？", result: "" } },
        callbackType: "STREAM",
        openSpaceId: `dtv1.card//IM_GROUP.${group}`,
        imGroupOpenDeliverModel: { robotCode: world.app.robotCode },
      }),
    });
    expect(created.status).toBe(200);

    client = new DWClient({ clientId: world.app.appKey, clientSecret: world.app.appSecret });
    pointAtEmulator(client, world.baseUrl);
    const received: Json[] = [];
    client.registerCallbackListener(TOPIC_CARD, (res) => {
      const body = JSON.parse(res.data) as Json;
      received.push(body);
      const content = JSON.parse(body.content as string) as Json;
      client?.socketCallBackResponse(res.headers.messageId, {
        cardData: {
          cardParamMap: { result: `${body.userId} 投了 ${content.cardPrivateData.params.choice}` },
        },
        cardUpdateOptions: { updateCardDataByKey: true },
      });
    });
    await client.connect();
    await waitUntil(
      () => world.emulator.ctx.stream?.isConnected(world.app.appKey) === true,
      "the SDK to connect",
    );

    const pressed = await control("POST", "/_emulator/cards/vote-1/actions", {
      userId: "manager1234",
      actionId: "yes",
    });
    expect(pressed).toMatchObject({
      delivered: true,
      applied: true,
      response: { cardData: { cardParamMap: { result: "manager1234 投了 yes" } } },
    });
    expect(received[0]).toMatchObject({
      outTrackId: "vote-1",
      userId: "manager1234",
      type: "actionCallback",
      spaceType: "IM_GROUP",
      spaceId: group,
    });
    expect((await control("GET", "/_emulator/cards/vote-1")).cardParamMap).toEqual({
      question: "周五团建？",
      result: "manager1234 投了 yes",
    });
  });
});

describe("dingbot against the emulator's cards", () => {
  let bot: Bot | undefined;
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  it("AppClient.cards sends, updates and hands over a card; streamAiCardTo streams and finishes the AI card", async () => {
    const client = new AppClient({
      appKey: world.app.appKey,
      appSecret: world.app.appSecret,
      baseUrl: world.baseUrl,
    });
    await control("POST", "/_emulator/card-templates", { templateId: "build.schema", fields: ["status"] });
    const card = await client.cards.send({
      templateId: "build.schema",
      data: { status: "running", took: 3 },
      to: { group },
    });
    await card.update({ status: "green" });
    await client.cards.handle(card.outTrackId).update({ status: "deployed" });
    expect(await control("GET", `/_emulator/cards/${card.outTrackId}`)).toMatchObject({
      cardParamMap: { status: "deployed", took: "3" },
      updates: 2,
    });

    const result = await streamAiCardTo(client, { user: "manager1234" }, ["每日", "总结"], {
      title: "日报",
      minIntervalMs: 0,
    });
    expect(result.via).toBe("card");
    const ai = await control("GET", `/_emulator/cards/${result.outTrackId}`);
    expect(ai).toMatchObject({
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      cardParamMap: { msgTitle: "日报", msgContent: "每日总结", flowStatus: "3" },
      finalized: true,
    });
    expect(world.emulator.store.conversations.get(ai.conversationId)).toMatchObject({
      type: "single",
      members: ["manager1234"],
    });
  });

  it("a Bot over Stream answers with ctx.replyStream and ctx.replyCard, and bot.action takes the press", async () => {
    await control("POST", "/_emulator/card-templates", {
      templateId: "deploy.schema",
      fields: ["service", "status"],
      buttons: [{ actionId: "approve", title: "批准" }],
    });
    bot = new Bot({ appKey: world.app.appKey, appSecret: world.app.appSecret, baseUrl: world.baseUrl });
    bot.command("/deploy", async (ctx) => {
      await ctx.replyCard({ templateId: "deploy.schema", data: { service: "api", status: "待批准" } });
    });
    bot.on("text", (ctx) => ctx.replyStream(["你好，", "我是", "机器人"], { title: "AI", minIntervalMs: 0 }));
    bot.action("approve", (ctx) => ctx.updateCard({ status: `已批准 (${ctx.card.userId})` }));
    await bot.start(
      streamTransport({
        clientId: world.app.appKey,
        clientSecret: world.app.appSecret,
        baseUrl: world.baseUrl,
      }),
    );
    const say = (text: string) =>
      control("POST", `/_emulator/conversations/${encodeURIComponent(group)}/messages`, {
        from: "manager1234",
        text,
        atRobot: world.app.robotCode,
      });

    expect(await say("介绍一下你自己")).toMatchObject({ delivered: true });
    const cards = async () =>
      (await control(
        "GET",
        `/_emulator/cards?conversationId=${encodeURIComponent(group)}`,
      )) as unknown as Json[];
    let ai: Json | undefined;
    await waitUntilAsync(async () => {
      ai = (await cards()).find((c) => c.cardTemplateId === AI_CARD_TEMPLATE_ID && c.flowStatus === "3");
      return ai !== undefined;
    }, "the streamed AI card to finish");
    expect(ai?.cardParamMap).toMatchObject({ msgTitle: "AI", msgContent: "你好，我是机器人" });

    await say("/deploy");
    let deploy: Json | undefined;
    await waitUntilAsync(async () => {
      deploy = (await cards()).find((c) => c.cardTemplateId === "deploy.schema");
      return deploy !== undefined;
    }, "the deploy card");
    const pressed = await control("POST", `/_emulator/cards/${deploy?.outTrackId}/actions`, {
      userId: "manager1234",
      actionId: "approve",
    });
    expect(pressed).toMatchObject({ delivered: true, applied: true });
    expect((await control("GET", `/_emulator/cards/${deploy?.outTrackId}`)).cardParamMap).toEqual({
      service: "api",
      status: "已批准 (manager1234)",
    });
    const messages = world.emulator.store
      .listMessages({ conversationId: group })
      .filter((m) => m.via === "card");
    expect(messages).toHaveLength(2);
  });
});

describe("dingbot when the emulator refuses cards", () => {
  let bot: Bot | undefined;
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  it("ctx.replyStream retries a QPS refusal, then falls back to markdown; a missing permission falls back at once", async () => {
    bot = new Bot({ appKey: world.app.appKey, appSecret: world.app.appSecret, baseUrl: world.baseUrl });
    const results: Array<{ via: string }> = [];
    bot.on("text", async (ctx) => {
      results.push(
        await ctx.replyStream(["拒绝", "之后"], {
          minIntervalMs: 0,
          retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 20 },
        }),
      );
    });
    await bot.start(
      streamTransport({
        clientId: world.app.appKey,
        clientSecret: world.app.appSecret,
        baseUrl: world.baseUrl,
      }),
    );
    const say = (text: string) =>
      control("POST", `/_emulator/conversations/${encodeURIComponent(group)}/messages`, {
        from: "manager1234",
        text,
        atRobot: world.app.robotCode,
      });
    const markdowns = () =>
      world.emulator.store
        .listMessages({ conversationId: group })
        .filter((m) => m.via === "session-webhook" && m.body.msgtype === "markdown");

    await control("POST", "/_emulator/faults", { kind: "card-qps", appKey: world.app.appKey, count: 100 });
    await say("第一问");
    await waitUntil(() => results.length === 1, "the first answer");
    expect(results[0]?.via).toBe("markdown");
    expect(markdowns()[0]?.body).toMatchObject({ markdown: { text: expect.stringContaining("拒绝之后") } });
    const faults = (await control("GET", "/_emulator/faults")) as unknown as Json[];
    expect(faults[0]?.hits).toBeGreaterThan(1); // retried before giving up
    await fetch(`${world.baseUrl}/_emulator/faults`, { method: "DELETE" });

    await control("POST", "/_emulator/card-permissions", { appKey: world.app.appKey, granted: [] });
    const rejectionsBefore = world.emulator.store.rejections.filter((r) => r.reason === "permission").length;
    await say("第二问");
    await waitUntil(() => results.length === 2, "the second answer");
    expect(results[1]?.via).toBe("markdown");
    expect(markdowns()).toHaveLength(2);
    // Refused once: a missing permission is not retried.
    expect(
      world.emulator.store.rejections.filter((r) => r.reason === "permission").length - rejectionsBefore,
    ).toBe(1);
    expect((await control("GET", "/_emulator/cards")) as unknown as Json[]).toEqual([]);
  });
});

describe("dingbot over HTTP takes a signed card callback", () => {
  let bot: Bot | undefined;
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  it("registers its card path with an apiSecret, and bot.action answers a press the emulator signed", async () => {
    const client = new AppClient({
      appKey: world.app.appKey,
      appSecret: world.app.appSecret,
      baseUrl: world.baseUrl,
    });
    await control("POST", "/_emulator/card-templates", {
      templateId: "oncall.schema",
      fields: ["who"],
      buttons: [{ actionId: "take", title: "我来" }],
    });
    bot = new Bot({ appKey: world.app.appKey, appSecret: world.app.appSecret, baseUrl: world.baseUrl });
    bot.action("take", (ctx) => ctx.updateCard({ who: ctx.card.userId }));
    const transport = httpServerTransport({
      appSecret: world.app.appSecret,
      port: 0,
      cardApiSecret: "card-secret-for-http",
    });
    await bot.start(transport);
    await client.cards.registerCallback({
      callbackRouteKey: "oncall",
      callbackUrl: `${transport.url}/card-callback`,
      apiSecret: "card-secret-for-http",
      forceUpdate: true,
    });
    const card = await client.cards.send({
      templateId: "oncall.schema",
      data: { who: "" },
      to: { group },
      callbackType: "HTTP",
      callbackRouteKey: "oncall",
    });
    const pressed = await control("POST", `/_emulator/cards/${card.outTrackId}/actions`, {
      userId: "manager1234",
      actionId: "take",
    });
    expect(pressed).toMatchObject({ delivered: true, applied: true });
    expect((await control("GET", `/_emulator/cards/${card.outTrackId}`)).cardParamMap).toEqual({
      who: "manager1234",
    });

    // A route registered with another secret: the bot refuses the signature, nothing is applied.
    await client.cards.registerCallback({
      callbackRouteKey: "oncall",
      callbackUrl: `${transport.url}/card-callback`,
      apiSecret: "some-other-secret",
      forceUpdate: true,
    });
    const refused = await control("POST", `/_emulator/cards/${card.outTrackId}/actions`, {
      userId: "manager1234",
      actionId: "take",
    });
    expect(refused).toMatchObject({ delivered: false, applied: false, error: "the bot answered HTTP 403" });
  });
});

async function waitUntilAsync(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
