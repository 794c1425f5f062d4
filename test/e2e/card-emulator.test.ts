/**
 * The emulator's card calls (card_1_0) spoken to raw over a real socket, as a script would: every answer
 * and every refusal DingTalk gives, the guid idempotency of streaming, the QPS limit (option and fault),
 * the control API of cards (templates, state, actions over HTTP), the card messages and the page events.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AI_CARD_TEMPLATE_ID, verifyCardCallbackSignature } from "dingbot-sdk/protocol";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const APP_KEY = "dingcardapp0001";
const APP_SECRET = "card-secret-0123456789abcdef0123456789abcdef";
const GROUP = "cidCardGroup01==";

let emulator: Emulator;
let baseUrl: string;
let clock: number;
let token: string;

// biome-ignore lint/suspicious/noExplicitAny: the tests read DingTalk's JSON bodies field by field
type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Json };
}

const card = (method: string, path: string, body?: unknown, accessToken = token) =>
  call(method, path, body, { "x-acs-dingtalk-access-token": accessToken });

function aiCard(outTrackId: string, extra: Json = {}): Json {
  return {
    cardTemplateId: AI_CARD_TEMPLATE_ID,
    outTrackId,
    cardData: { cardParamMap: { msgTitle: "AI", msgContent: "", flowStatus: "1" } },
    callbackType: "STREAM",
    openSpaceId: `dtv1.card//IM_GROUP.${GROUP}`,
    imGroupOpenSpaceModel: { supportForward: true },
    imGroupOpenDeliverModel: { robotCode: APP_KEY },
    ...extra,
  };
}

const streaming = (outTrackId: string, guid: string, content: string, extra: Json = {}) =>
  card("PUT", "/v1.0/card/streaming", {
    outTrackId,
    guid,
    key: "msgContent",
    content,
    isFull: true,
    isFinalize: false,
    isError: false,
    ...extra,
  });

beforeEach(async () => {
  clock = Date.UTC(2026, 0, 5, 2, 0, 0);
  emulator = createEmulator({
    now: () => clock,
    cardQps: 5,
    cardDataMaxBytes: 4096,
    callbackTimeoutMs: 2000,
  });
  baseUrl = await emulator.listen(0);
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, name: "卡片机器人", mode: "stream" });
  emulator.store.createApp({ appKey: "dingotherapp", appSecret: "other-secret", name: "别的机器人" });
  emulator.store.createUser({ userId: "manager1234", name: "张三" });
  emulator.store.createUser({ userId: "outsider", name: "王五" });
  emulator.store.createConversation({
    conversationId: GROUP,
    type: "group",
    title: "卡片群",
    members: ["manager1234"],
    robots: [APP_KEY],
  });
  emulator.store.createConversation({
    conversationId: "cidNoRobot==",
    type: "group",
    members: ["manager1234"],
  });
  const { json } = await call("POST", "/v1.0/oauth2/accessToken", { appKey: APP_KEY, appSecret: APP_SECRET });
  token = json.accessToken as string;
});

afterEach(async () => {
  await emulator.close();
});

describe("card calls: the AI card from create to finish", () => {
  it("creates and delivers into a group, streams with guid idempotency, finishes, and shows it everywhere", async () => {
    const created = await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("track-1"));
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({
      success: true,
      result: {
        outTrackId: "track-1",
        deliverResults: [{ spaceType: "IM_GROUP", spaceId: GROUP, success: true }],
      },
    });
    expect(created.json.result.deliverResults[0].errorMsg).toBeUndefined();

    expect((await streaming("track-1", "g1", "你好")).json).toEqual({ success: true, result: true });
    // The same guid again (a client's retry) is answered alike and changes nothing.
    expect((await streaming("track-1", "g1", "something else")).json).toEqual({
      success: true,
      result: true,
    });
    await streaming("track-1", "g2", "，世界", { isFull: false });
    await streaming("track-1", "g3", "你好，世界！", { isFinalize: true });
    const finished = await card("PUT", "/v1.0/card/instances", {
      outTrackId: "track-1",
      cardData: { cardParamMap: { flowStatus: "3" } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
    expect(finished.json).toEqual({ success: true, result: true });

    const state = await call("GET", "/_emulator/cards/track-1");
    expect(state.json).toMatchObject({
      outTrackId: "track-1",
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      conversationId: GROUP,
      cardParamMap: { msgTitle: "AI", msgContent: "你好，世界！", flowStatus: "3" },
      privateData: {},
      flowStatus: "3",
      finalized: true,
      updates: 4,
      createdAt: clock,
      updatedAt: clock,
    });
    const list = await call("GET", `/_emulator/cards?conversationId=${encodeURIComponent(GROUP)}`);
    expect(list.json.map((c: Json) => c.outTrackId)).toEqual(["track-1"]);
    expect((await call("GET", "/_emulator/cards?conversationId=cidNoRobot%3D%3D")).json).toEqual([]);

    const messages = await call("GET", `/_emulator/messages?conversationId=${encodeURIComponent(GROUP)}`);
    const cardMessages = messages.json.filter((m: Json) => m.via === "card");
    expect(cardMessages).toHaveLength(1);
    expect(cardMessages[0]).toMatchObject({
      sender: { kind: "app", id: APP_KEY, name: "卡片机器人" },
      body: {
        msgtype: "interactiveCard",
        outTrackId: "track-1",
        cardParamMap: { msgContent: "你好，世界！", flowStatus: "3" },
        template: { name: "AI 卡片" },
      },
    });
  });

  it("streams appended content and replaces the whole map on an update without options", async () => {
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("track-2"));
    await streaming("track-2", "a", "一", { isFull: false });
    await streaming("track-2", "b", "二", { isFull: false });
    expect((await call("GET", "/_emulator/cards/track-2")).json.cardParamMap.msgContent).toBe("一二");
    await card("PUT", "/v1.0/card/instances", {
      outTrackId: "track-2",
      cardData: { cardParamMap: { flowStatus: "5" } },
    });
    expect((await call("GET", "/_emulator/cards/track-2")).json.cardParamMap).toEqual({ flowStatus: "5" });
  });

  it("creates, then delivers to a person's 1:1 chat with the robot", async () => {
    const {
      openSpaceId: _o,
      imGroupOpenDeliverModel: _d,
      imGroupOpenSpaceModel: _s,
      ...create
    } = aiCard("track-3");
    expect((await card("POST", "/v1.0/card/instances", create)).json).toEqual({
      success: true,
      result: "track-3",
    });
    expect((await call("GET", "/_emulator/cards/track-3")).json.conversationId).toBeNull();
    const delivered = await card("POST", "/v1.0/card/instances/deliver", {
      outTrackId: "track-3",
      openSpaceId: "dtv1.card//IM_ROBOT.manager1234",
      userIdType: 1,
      imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode: APP_KEY },
    });
    expect(delivered.json).toMatchObject({
      success: true,
      result: [{ spaceType: "IM_ROBOT", spaceId: "manager1234", success: true }],
    });
    const state = (await call("GET", "/_emulator/cards/track-3")).json;
    const conversation = emulator.store.conversations.get(state.conversationId);
    expect(conversation).toMatchObject({ type: "single", members: ["manager1234"], robots: [APP_KEY] });
  });
});

describe("card calls: DingTalk's refusals", () => {
  it("refuses an unknown template, missing ids and data, and a number in cardParamMap (400)", async () => {
    const unknown = await card("POST", "/v1.0/card/instances", {
      ...aiCard("t"),
      cardTemplateId: "nope.schema",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ code: "param.templateUnpublished" });
    expect(typeof unknown.json.requestid).toBe("string");
    expect(
      (await card("POST", "/v1.0/card/instances", { ...aiCard("t"), cardTemplateId: "" })).json.code,
    ).toBe("param.cardTemplateIdEmpty");
    const { outTrackId: _t, ...noId } = aiCard("t");
    expect((await card("POST", "/v1.0/card/instances/createAndDeliver", noId)).json.code).toBe(
      "param.outTrackIdEmpty",
    );
    expect(
      (await card("POST", "/v1.0/card/instances", { ...aiCard("t"), cardData: undefined })).json.code,
    ).toBe("param.cardPublicDataEmpty");
    const number = await card("POST", "/v1.0/card/instances", {
      ...aiCard("t"),
      cardData: { cardParamMap: { flowStatus: 1 } },
    });
    expect(number.status).toBe(400);
    expect(number.json.code).toBe("param.invalid");
    expect(number.json.message).toContain("cardParamMap.flowStatus");
    expect((await card("POST", "/v1.0/card/instances", "")).json.code).toBe("param.empty");
    expect((await call("GET", "/_emulator/cards")).json).toEqual([]);
    const rejections = (await call("GET", "/_emulator/rejections")).json;
    expect(rejections.at(-1)).toMatchObject({
      endpoint: "POST /v1.0/card/instances",
      errcode: "param.empty",
    });
  });

  it("refuses an unknown outTrackId, a card of another app and a reused outTrackId", async () => {
    const update = await card("PUT", "/v1.0/card/instances", {
      outTrackId: "missing",
      cardData: { cardParamMap: { a: "b" } },
    });
    expect(update.status).toBe(400);
    expect(update.json.code).toBe("param.invalid");
    expect((await streaming("missing", "g", "x")).status).toBe(400);
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("mine"));
    expect((await card("POST", "/v1.0/card/instances", aiCard("mine"))).status).toBe(400);
    const other = (
      await call("POST", "/v1.0/oauth2/accessToken", { appKey: "dingotherapp", appSecret: "other-secret" })
    ).json.accessToken as string;
    expect(
      (
        await card(
          "PUT",
          "/v1.0/card/instances",
          { outTrackId: "mine", cardData: { cardParamMap: {} } },
          other,
        )
      ).status,
    ).toBe(400);
  });

  it("answers a robot outside the group, an unknown group or person inside an HTTP 200", async () => {
    const result = await card(
      "POST",
      "/v1.0/card/instances/createAndDeliver",
      aiCard("t-spaces", {
        openSpaceId: `dtv1.card//IM_GROUP.cidNoRobot==;IM_GROUP.cidUnknown==;IM_GROUP.${GROUP}`,
      }),
    );
    expect(result.status).toBe(200);
    expect(result.json.result.deliverResults).toEqual([
      {
        spaceType: "IM_GROUP",
        spaceId: "cidNoRobot==",
        success: false,
        errorMsg: "robot is not in the group",
      },
      { spaceType: "IM_GROUP", spaceId: "cidUnknown==", success: false, errorMsg: "group not exist" },
      expect.objectContaining({ spaceType: "IM_GROUP", spaceId: GROUP, success: true }),
    ]);
    const oto = await card("POST", "/v1.0/card/instances/deliver", {
      outTrackId: "t-spaces",
      openSpaceId: "dtv1.card//IM_ROBOT.nobody",
      imRobotOpenDeliverModel: { spaceType: "IM_ROBOT" },
    });
    expect(oto.json.result).toEqual([
      { spaceType: "IM_ROBOT", spaceId: "nobody", success: false, errorMsg: "user not exist" },
    ]);
  });

  it("answers 403 with the required scope for an app without the card permissions", async () => {
    await call("POST", "/_emulator/card-permissions", { appKey: APP_KEY, granted: ["Card.Instance.Write"] });
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("perm"));
    const denied = await streaming("perm", "g", "x");
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({
      code: "Forbidden.AccessDenied.AccessTokenPermissionDenied",
      accessdenieddetail: { requiredScopes: ["Card.Streaming.Write"] },
    });
    await call("POST", "/_emulator/card-permissions", { appKey: APP_KEY, granted: [] });
    expect((await card("POST", "/v1.0/card/instances", aiCard("perm2"))).json.accessdenieddetail).toEqual({
      requiredScopes: ["Card.Instance.Write"],
    });
    expect((await call("GET", `/_emulator/card-permissions/${APP_KEY}`)).json).toEqual({
      appKey: APP_KEY,
      granted: [],
    });
    expect(
      (await call("POST", "/_emulator/card-permissions", { appKey: APP_KEY, granted: ["Card.All"] })).status,
    ).toBe(400);
  });

  it("refuses streaming into a finalized key, but not the update that finishes the card", async () => {
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("fin"));
    await streaming("fin", "g1", "done", { isFinalize: true });
    const again = await streaming("fin", "g2", "more");
    expect(again.status).toBe(400);
    expect(again.json.code).toBe("param.invalid");
    expect(again.json.message).toContain("finalized");
    const update = await card("PUT", "/v1.0/card/instances", {
      outTrackId: "fin",
      cardData: { cardParamMap: { flowStatus: "3" } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
    expect(update.status).toBe(200);
  });

  it("refuses card data over the limit, on create, update and streaming", async () => {
    const big = "字".repeat(2000); // 6000 bytes > 4096
    const create = await card("POST", "/v1.0/card/instances", {
      ...aiCard("big"),
      cardData: { cardParamMap: { msgContent: big } },
    });
    expect(create.status).toBe(400);
    expect(create.json.message).toContain("4096");
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("big"));
    expect((await streaming("big", "g", big)).status).toBe(400);
    const update = await card("PUT", "/v1.0/card/instances", {
      outTrackId: "big",
      cardData: { cardParamMap: { msgContent: big } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
    expect(update.status).toBe(400);
    expect((await call("GET", "/_emulator/cards/big")).json.updates).toBe(0);
  });

  it("answers a missing or bad token, and a wrong method, as the rest of the new API", async () => {
    const missing = await call("PUT", "/v1.0/card/streaming", { outTrackId: "x" });
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe("AuthenticationFailed.MissingParameter");
    expect((await card("PUT", "/v1.0/card/streaming", { outTrackId: "x" }, "bad-token")).json.code).toBe(
      "InvalidAuthentication",
    );
    const wrongMethod = await card("GET", "/v1.0/card/instances/createAndDeliver");
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.json.code).toBe("InvalidAction.NotFound");
  });
});

describe("card calls: the QPS limit", () => {
  it("answers 403 QpsLimitForAppkeyAndApi past cardQps calls per second per API, and again a second later", async () => {
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("qps"));
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await streaming("qps", `g${i}`, `${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 403, 403]);
    const refused = await streaming("qps", "g-late", "x");
    expect(refused.json.code).toBe("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
    // Per API: updates have their own window.
    expect(
      (
        await card("PUT", "/v1.0/card/instances", {
          outTrackId: "qps",
          cardData: { cardParamMap: {} },
          cardUpdateOptions: { updateCardDataByKey: true },
        })
      ).status,
    ).toBe(200);
    clock += 1000;
    expect((await streaming("qps", "g-next", "x")).status).toBe(200);
  });

  it("takes card-qps faults from /_emulator/faults, for one app or all, without touching robot webhooks", async () => {
    const fault = await call("POST", "/_emulator/faults", { kind: "card-qps", appKey: APP_KEY, count: 2 });
    expect(fault.status).toBe(201);
    expect(fault.json).toMatchObject({ kind: "card-qps", appKey: APP_KEY, remaining: 2 });
    expect((await call("POST", "/_emulator/faults", { kind: "card-qps", accessToken: "x" })).status).toBe(
      400,
    );
    const robot = await call("POST", "/_emulator/robots", {});
    const send = await call("POST", `/robot/send?access_token=${robot.json.accessToken}`, {
      msgtype: "text",
      text: { content: "hi" },
    });
    expect(send.json.errcode).toBe(0);
    const first = await card("POST", "/v1.0/card/instances", aiCard("f"));
    expect(first.status).toBe(403);
    expect(first.json.code).toBe("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
    expect((await card("POST", "/v1.0/card/instances", aiCard("f"))).status).toBe(403);
    expect((await card("POST", "/v1.0/card/instances", aiCard("f"))).status).toBe(200);
    expect((await call("GET", "/_emulator/faults")).json).toEqual([]);
  });
});

describe("legacy robot interactive cards (im_1_0)", () => {
  const standard = (extra: Json = {}) => ({
    cardTemplateId: "StandardCard",
    cardBizId: "biz-1",
    robotCode: APP_KEY,
    openConversationId: GROUP,
    cardData: JSON.stringify({ header: { title: { type: "text", text: "告警" } }, contents: [] }),
    ...extra,
  });

  it("sends to a group or a person and updates by cardBizId, answering processQueryKey", async () => {
    const sent = await card("POST", "/v1.0/im/v1.0/robot/interactiveCards/send", standard());
    expect(sent.status).toBe(200);
    expect(typeof sent.json.processQueryKey).toBe("string");
    const updated = await card("PUT", "/v1.0/im/robots/interactiveCards", {
      cardBizId: "biz-1",
      cardData: JSON.stringify({ contents: [{ type: "markdown", text: "已恢复" }] }),
      updateOptions: { updateCardDataByKey: true },
    });
    expect(typeof updated.json.processQueryKey).toBe("string");
    const state = (await call("GET", "/_emulator/cards/biz-1")).json;
    expect(state).toMatchObject({
      cardTemplateId: "StandardCard",
      conversationId: GROUP,
      legacy: true,
      updates: 1,
    });
    expect(JSON.parse(state.cardParamMap.cardData)).toEqual({
      header: { title: { type: "text", text: "告警" } },
      contents: [{ type: "markdown", text: "已恢复" }],
    });
    const oto = await card(
      "POST",
      "/v1.0/im/v1.0/robot/interactiveCards/send",
      standard({
        cardBizId: "biz-2",
        openConversationId: undefined,
        singleChatReceiver: JSON.stringify({ userId: "manager1234" }),
      }),
    );
    expect(oto.status).toBe(200);
    const pressed = await call("POST", "/_emulator/cards/biz-1/actions", { userId: "manager1234" });
    expect(pressed.json).toMatchObject({ delivered: false, error: expect.stringContaining("legacy") });
  });

  it("refuses with the codes of DingTalk's send page", async () => {
    const send = (extra: Json) => {
      clock += 1000; // a fresh QPS window for each call (cardQps is 5 here)
      return card("POST", "/v1.0/im/v1.0/robot/interactiveCards/send", standard(extra));
    };
    expect((await send({ cardTemplateId: undefined })).json.code).toBe("card.templateEmpty");
    expect((await send({ cardBizId: "" })).json.code).toBe("card.outTraceIdEmpty");
    expect((await send({ robotCode: "nope" })).json.code).toBe("chatbot.notFound");
    expect((await send({ cardTemplateId: "unknown.schema" })).json.code).toBe("cardInstance.wrong");
    expect((await send({ openConversationId: undefined })).json.code).toBe("invalidParameter.cid.empty");
    expect((await send({ openConversationId: undefined, singleChatReceiver: "not json" })).json.code).toBe(
      "userInfo.convertError",
    );
    const outside = await send({ openConversationId: "cidNoRobot==" });
    expect(outside.status).toBe(400);
    expect(outside.json.code).toBe("sendCardMessageFailed");
    expect((await send({ cardData: "{broken" })).json.code).toBe("param.invalid");
    expect((await call("GET", "/_emulator/cards")).json).toEqual([]);
    const update = await card("PUT", "/v1.0/im/robots/interactiveCards", {
      cardBizId: "none",
      cardData: "{}",
    });
    expect(update.status).toBe(400);
    expect(update.json.code).toBe("param.invalid");
  });
});

describe("card control API: templates, HTTP callbacks, events, reset", () => {
  let bot: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (bot ? bot.close(() => resolve()) : resolve()));
    bot = undefined;
  });

  async function startBot(answer: (body: Json, req: IncomingMessage) => unknown): Promise<string> {
    const server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk) => {
        text += chunk;
      });
      req.on("end", () => {
        const result = answer(JSON.parse(text) as Json, req);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(result));
      });
    });
    bot = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/card-callback`;
  }

  it("registers a template, sends a press to the registered URL signed as DingTalk signs, and applies the answer", async () => {
    const template = await call("POST", "/_emulator/card-templates", {
      templateId: "approve.schema",
      name: "审批",
      fields: ["title", { key: "status", label: "状态" }],
      buttons: [
        { actionId: "approve", title: "同意", params: { decision: "yes" } },
        { actionId: "reject", title: "拒绝" },
      ],
    });
    expect(template.status).toBe(201);
    expect((await call("POST", "/_emulator/card-templates", { templateId: "approve.schema" })).status).toBe(
      409,
    );
    expect((await call("POST", "/_emulator/card-templates", { templateId: "bad id" })).status).toBe(400);

    const received: Json[] = [];
    let signed = false;
    const url = await startBot((body, req) => {
      received.push(body);
      const check = verifyCardCallbackSignature(
        "card-api-secret",
        req.headers["x-ddpaas-signature-timestamp"] as string,
        req.headers["x-ddpaas-signature"] as string,
        clock,
      );
      signed = check.ok;
      return {
        cardData: { cardParamMap: { status: "已同意" } },
        userPrivateData: { cardParamMap: { mine: "yes" } },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      };
    });
    const registered = await card("POST", "/v1.0/card/callbacks/register", {
      callbackRouteKey: "approvals",
      callbackUrl: url,
      apiSecret: "card-api-secret",
      forceUpdate: true,
    });
    expect(registered.json).toEqual({
      success: true,
      result: { callbackUrl: url, apiSecret: "card-api-secret" },
    });
    await card("POST", "/v1.0/card/instances/createAndDeliver", {
      ...aiCard("approve-1"),
      cardTemplateId: "approve.schema",
      cardData: { cardParamMap: { title: "报销", status: "待审批" } },
      callbackType: "HTTP",
      callbackRouteKey: "approvals",
    });

    const unknownButton = await call("POST", "/_emulator/cards/approve-1/actions", {
      userId: "manager1234",
      actionId: "delete",
    });
    expect(unknownButton.status).toBe(400);
    expect((await call("POST", "/_emulator/cards/approve-1/actions", { userId: "outsider" })).status).toBe(
      400,
    );
    expect((await call("POST", "/_emulator/cards/approve-1/actions", { userId: "ghost" })).status).toBe(404);
    expect((await call("POST", "/_emulator/cards/nope/actions", { userId: "manager1234" })).status).toBe(404);

    const pressed = await call("POST", "/_emulator/cards/approve-1/actions", {
      userId: "manager1234",
      actionId: "approve",
      params: { comment: "ok" },
    });
    expect(pressed.status).toBe(200);
    expect(pressed.json).toMatchObject({
      delivered: true,
      applied: true,
      response: { cardData: { cardParamMap: { status: "已同意" } } },
    });
    expect(signed).toBe(true);
    expect(received[0]).toMatchObject({
      corpId: expect.any(String),
      userId: "manager1234",
      outTrackId: "approve-1",
      type: "actionCallback",
      spaceType: "IM_GROUP",
      spaceId: GROUP,
      userIdType: 1,
    });
    expect(JSON.parse(received[0]?.content as string)).toEqual({
      cardPrivateData: { actionIds: ["approve"], params: { decision: "yes", comment: "ok" } },
    });
    const state = (await call("GET", "/_emulator/cards/approve-1")).json;
    expect(state.cardParamMap).toEqual({ title: "报销", status: "已同意" });
    expect(state.privateData).toEqual({ manager1234: { mine: "yes" } });
    expect(state.updates).toBe(0);
    // The apiSecret never leaves through the control API.
    expect(JSON.stringify(await call("GET", "/_emulator/cards"))).not.toContain("card-api-secret");
  });

  it("refuses to re-register a route key with another URL without forceUpdate", async () => {
    const first = await card("POST", "/v1.0/card/callbacks/register", {
      callbackRouteKey: "k",
      callbackUrl: "http://127.0.0.1:1/a",
    });
    expect(first.json.result.apiSecret).toMatch(/^[0-9a-f]{32}$/);
    const second = await card("POST", "/v1.0/card/callbacks/register", {
      callbackRouteKey: "k",
      callbackUrl: "http://127.0.0.1:1/b",
    });
    expect(second.status).toBe(400);
    const forced = await card("POST", "/v1.0/card/callbacks/register", {
      callbackRouteKey: "k",
      callbackUrl: "http://127.0.0.1:1/b",
      forceUpdate: true,
    });
    expect(forced.json.result.apiSecret).toBe(first.json.result.apiSecret);
  });

  it("keeps @-mentions and recipients on the card's message; only a recipient can press it", async () => {
    emulator.store.conversations.get(GROUP)?.members.push("outsider");
    await card(
      "POST",
      "/v1.0/card/instances/createAndDeliver",
      aiCard("private", {
        imGroupOpenDeliverModel: {
          robotCode: APP_KEY,
          atUserIds: { manager1234: "张三" },
          recipients: ["manager1234"],
        },
      }),
    );
    const message = emulator.store.listMessages({ conversationId: GROUP }).find((m) => m.via === "card");
    expect(message?.meta).toEqual({
      outTrackId: "private",
      atUserIds: { manager1234: "张三" },
      recipients: ["manager1234"],
    });
    const outsider = await call("POST", "/_emulator/cards/private/actions", { userId: "outsider" });
    expect(outsider.status).toBe(400);
    expect(outsider.json.error).toContain("does not see the card");
    expect((await call("POST", "/_emulator/cards/private/actions", { userId: "manager1234" })).status).toBe(
      200,
    );
  });

  it("tells a press that reaches no bot, and a Stream card without a connection", async () => {
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("lonely"));
    const pressed = await call("POST", "/_emulator/cards/lonely/actions", {
      userId: "manager1234",
      actionId: "x",
    });
    expect(pressed.json).toMatchObject({ delivered: false, applied: false, response: null });
    expect(pressed.json.error).toContain("/v1.0/card/instances/callback");
  });

  it("sends card-created and card-updated events, and forgets cards on reset", async () => {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/_emulator/events`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const until = async (what: string) => {
      while (!text.includes(what)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(": connected");
    await card("POST", "/v1.0/card/instances/createAndDeliver", aiCard("live"));
    await streaming("live", "g", "流");
    await until("event: card-updated");
    const events = text.split("\n\n").filter((f) => f.startsWith("event:"));
    const names = events.map((f) => f.split("\n")[0]);
    const data = (i: number) => JSON.parse(events[i]?.split("\ndata: ")[1] ?? "{}") as Json;
    // The card's message, then the card itself (announced once it shows where it was delivered).
    expect(names.slice(0, 4)).toEqual([
      "event: message",
      "event: card-created",
      "event: message-updated",
      "event: card-updated",
    ]);
    expect(data(0)).toMatchObject({ via: "card", body: { msgtype: "interactiveCard", outTrackId: "live" } });
    expect(data(1)).toMatchObject({ outTrackId: "live", conversationId: GROUP, updates: 0 });
    const updated = data(3);
    expect(updated).toMatchObject({
      outTrackId: "live",
      conversationId: GROUP,
      updates: 1,
      cardParamMap: { msgContent: "流" },
    });

    // Created first, delivered later: card-created (shown nowhere), then card-updated when it shows.
    const { openSpaceId, imGroupOpenDeliverModel, imGroupOpenSpaceModel: _s, ...create } = aiCard("later");
    text = "";
    await card("POST", "/v1.0/card/instances", create);
    await card("POST", "/v1.0/card/instances/deliver", {
      outTrackId: "later",
      openSpaceId,
      imGroupOpenDeliverModel,
    });
    await until("event: card-updated");
    const later = text.split("\n\n").filter((f) => f.startsWith("event:"));
    expect(later.map((f) => f.split("\n")[0])).toEqual([
      "event: card-created",
      "event: message",
      "event: card-updated",
    ]);
    expect(JSON.parse(later[0]?.split("\ndata: ")[1] ?? "{}")).toMatchObject({ conversationId: null });
    expect(JSON.parse(later[2]?.split("\ndata: ")[1] ?? "{}")).toMatchObject({ conversationId: GROUP });
    controller.abort();

    await call("POST", "/_emulator/reset");
    expect((await call("GET", "/_emulator/cards")).json).toEqual([]);
    expect((await call("GET", "/_emulator/card-templates")).json.map((t: Json) => t.templateId)).toEqual([
      AI_CARD_TEMPLATE_ID,
    ]);
  });
});
