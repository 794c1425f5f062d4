/**
 * The emulator's app APIs spoken to raw (no dingbot client), so every success and error body is checked
 * exactly as a script would see it: tokens, users, work notifications and the robot OpenAPI.
 */
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { beforeEach, describe, expect, it } from "vitest";

const APP_KEY = "dingappemu0001";
const APP_SECRET = "emu-secret-0123456789abcdef0123456789abcdef";

let emulator: Emulator;
let clock: number;

async function call(
  method: string,
  path: string,
  init: { body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  }
  const response = await emulator.app.request(`http://emu.test${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read DingTalk's JSON bodies field by field
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function oldToken(): Promise<string> {
  const { json } = await call("GET", `/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`);
  return json.access_token as string;
}

async function newToken(): Promise<string> {
  const { json } = await call("POST", "/v1.0/oauth2/accessToken", {
    body: { appKey: APP_KEY, appSecret: APP_SECRET },
  });
  return json.accessToken as string;
}

beforeEach(() => {
  clock = Date.UTC(2026, 0, 5, 2, 0, 0);
  emulator = createEmulator({ now: () => clock, tokenTtlSeconds: 7200, notificationDelayMs: 0 });
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: 123456789, name: "告警中心" });
  emulator.store.createUser({ userId: "manager1234", mobile: "13800000000", name: "张三" });
  emulator.store.createUser({ userId: "user002", mobile: "13800000002", name: "李四" });
});

describe("emulator app API: tokens", () => {
  it("issues an old-style token with expires_in", async () => {
    const { json } = await call("GET", `/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`);
    expect(json).toMatchObject({ errcode: 0, errmsg: "ok", expires_in: 7200 });
    expect(json.access_token).toMatch(/^[0-9a-f]{32}$/);
  });

  it("answers 40096 to a wrong appsecret", async () => {
    const { status, json } = await call("GET", `/gettoken?appkey=${APP_KEY}&appsecret=wrong`);
    expect(status).toBe(200);
    expect(json).toEqual({ errcode: 40096, errmsg: "不合法的appKey或appSecret" });
  });

  it("issues a new-style token and refuses wrong credentials with 400 invalidClientIdOrSecret", async () => {
    const ok = await call("POST", "/v1.0/oauth2/accessToken", {
      body: { appKey: APP_KEY, appSecret: APP_SECRET },
    });
    expect(ok.json).toMatchObject({ expireIn: 7200 });
    const bad = await call("POST", "/v1.0/oauth2/accessToken", { body: { appKey: "nope", appSecret: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: "invalidClientIdOrSecret" });
    expect(bad.json.requestid).toEqual(expect.any(String));
  });

  it("refuses a form-encoded accessToken body (JSON only)", async () => {
    const { status, json } = await call("POST", "/v1.0/oauth2/accessToken", {
      form: { appKey: APP_KEY, appSecret: APP_SECRET },
    });
    expect(status).toBe(400);
    expect(json.message).toContain("body is mandatory");
  });

  it("answers 41001 without a token and 40014 with an unknown one (non-topapi)", async () => {
    expect((await call("GET", "/user/get_by_mobile?mobile=13800000000")).json).toMatchObject({
      errcode: 41001,
    });
    expect(
      (await call("GET", "/user/get_by_mobile?access_token=bogus&mobile=13800000000")).json,
    ).toMatchObject({
      errcode: 40014,
    });
  });

  it("wraps topapi token failures as 88 with a string sub_code", async () => {
    const { json } = await call("POST", "/topapi/v2/user/getbymobile?access_token=bogus", {
      body: { mobile: "13800000000" },
    });
    expect(json).toMatchObject({ errcode: 88, sub_code: "40014" });
    const missing = await call("POST", "/topapi/v2/user/getbymobile", { body: { mobile: "13800000000" } });
    expect(missing.json).toMatchObject({ errcode: 88, sub_code: "40000" });
  });

  it("expires tokens after tokenTtlSeconds", async () => {
    const token = await oldToken();
    clock += 7200 * 1000;
    const { json } = await call("GET", `/user/get_by_mobile?access_token=${token}&mobile=13800000000`);
    expect(json).toMatchObject({ errcode: 40014 });
  });

  it("answers new-API calls without the header with AuthenticationFailed.MissingParameter, and bad ones with InvalidAuthentication", async () => {
    const body = {
      robotCode: APP_KEY,
      userIds: ["manager1234"],
      msgKey: "sampleText",
      msgParam: '{"content":"x"}',
    };
    const missing = await call("POST", "/v1.0/robot/oToMessages/batchSend", { body });
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe("AuthenticationFailed.MissingParameter");
    const bad = await call("POST", "/v1.0/robot/oToMessages/batchSend", {
      body,
      headers: { "x-acs-dingtalk-access-token": "bogus" },
    });
    expect(bad.json.code).toBe("InvalidAuthentication");
  });
});

describe("emulator app API: users", () => {
  it("finds a userid by mobile (topapi v2, legacy) and details by userid", async () => {
    const token = await oldToken();
    const v2 = await call("POST", `/topapi/v2/user/getbymobile?access_token=${token}`, {
      body: { mobile: "13800000000" },
    });
    expect(v2.json).toMatchObject({ errcode: 0, result: { userid: "manager1234" } });
    const legacy = await call("GET", `/user/get_by_mobile?access_token=${token}&mobile=13800000000`);
    expect(legacy.json).toEqual({ errcode: 0, errmsg: "ok", userid: "manager1234" });
    const user = await call("POST", `/topapi/v2/user/get?access_token=${token}`, {
      body: { userid: "manager1234" },
    });
    expect(user.json.result).toMatchObject({ userid: "manager1234", name: "张三" });
  });

  it("answers 60121 to an unknown mobile or userid", async () => {
    const token = await oldToken();
    expect((await call("GET", `/user/get_by_mobile?access_token=${token}&mobile=1`)).json.errcode).toBe(
      60121,
    );
    const v2 = await call("POST", `/topapi/v2/user/get?access_token=${token}`, { body: { userid: "ghost" } });
    expect(v2.json.errcode).toBe(60121);
  });

  it("answers errcode 22 to an unknown topapi path", async () => {
    const token = await oldToken();
    const { json } = await call("POST", `/topapi/nothing/here?access_token=${token}`, { body: {} });
    expect(json.errcode).toBe(22);
  });

  it("answers malformed and oversized bodies with DingTalk-shaped errors and keeps running", async () => {
    const token = await oldToken();
    const path = `/topapi/v2/user/get?access_token=${token}`;
    expect((await call("POST", path, { body: "{not json" })).json.errcode).toBe(40035);
    expect((await call("POST", path, { body: { userid: "x".repeat(1_000_001) } })).json.errcode).toBe(40035);
    const bad = await call("POST", "/v1.0/oauth2/accessToken", { body: "{not json" });
    expect(bad.status).toBe(400);
    expect((await call("POST", path, { body: { userid: "manager1234" } })).json.errcode).toBe(0);
  });

  it("refuses unknown parameters with 40035 (strict validation)", async () => {
    const token = await oldToken();
    const { json } = await call("POST", `/topapi/v2/user/get?access_token=${token}`, {
      body: { userid: "manager1234", usrid: "x" },
    });
    expect(json.errcode).toBe(40035);
  });
});

describe("emulator app API: work notifications", () => {
  const send = async (token: string, body: Record<string, unknown>) =>
    call("POST", `/topapi/message/corpconversation/asyncsend_v2?access_token=${token}`, { body });

  it("accepts a form-encoded send with a Python-literal msg and delivers it to the user's conversation", async () => {
    const token = await oldToken();
    const { json } = await call(
      "POST",
      `/topapi/message/corpconversation/asyncsend_v2?access_token=${token}`,
      {
        form: {
          userid_list: "manager1234",
          agent_id: "123456789",
          msg: "{'msgtype': 'text', 'text': {'content': 'It\\'s done, 好的'}}",
        },
      },
    );
    expect(json).toMatchObject({ errcode: 0, task_id: expect.any(Number) });
    const delivered = emulator.store.messages.filter((m) => m.via === "work-notification");
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.body).toEqual({ msgtype: "text", text: { content: "It's done, 好的" } });
    const conversation = emulator.store.conversations.get(delivered[0]!.conversationId);
    expect(conversation).toMatchObject({
      type: "single",
      members: ["manager1234"],
      robots: ["work-notification:123456789"],
    });
  });

  it("refuses another app's agent_id", async () => {
    const token = await oldToken();
    const { json } = await send(token, {
      agent_id: 1,
      userid_list: "manager1234",
      msg: { msgtype: "text", text: { content: "x" } },
    });
    expect(json.errcode).toBe(40056);
  });

  it("refuses more than 5000 userids", async () => {
    const token = await oldToken();
    const userid_list = Array.from({ length: 5001 }, (_, i) => `u${i}`).join(",");
    const { json } = await send(token, {
      agent_id: 123456789,
      userid_list,
      msg: { msgtype: "text", text: { content: "x" } },
    });
    expect(json.errcode).toBe(40035);
  });

  it("refuses a msg with a misspelled field", async () => {
    const token = await oldToken();
    const { json } = await send(token, {
      agent_id: 123456789,
      userid_list: "manager1234",
      msg: { msgtype: "link", link: { messageURL: "https://x", picUrl: "", title: "t", text: "t" } },
    });
    expect(json.errcode).toBe(40035);
  });

  it("reports progress as processing until notificationDelayMs has passed", async () => {
    emulator = createEmulator({ now: () => clock, notificationDelayMs: 60_000 });
    emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: 123456789 });
    emulator.store.createUser({ userId: "manager1234", mobile: "13800000000" });
    const token = await oldToken();
    const { json } = await send(token, {
      agent_id: 123456789,
      userid_list: "manager1234",
      msg: { msgtype: "text", text: { content: "slow" } },
    });
    const path = `/topapi/message/corpconversation/getsendprogress?access_token=${token}`;
    const before = await call("POST", path, { body: { agent_id: 123456789, task_id: json.task_id } });
    expect(before.json.progress.status).toBe(1);
    expect(emulator.store.messages).toHaveLength(0);
    clock += 60_000;
    const after = await call("POST", path, { body: { agent_id: 123456789, task_id: json.task_id } });
    expect(after.json.progress).toEqual({ progress_in_percent: 100, status: 2 });
    expect(emulator.store.messages).toHaveLength(1);
  });

  it("reports invalid, forbidden (duplicate content: 143106), read and unread recipients", async () => {
    const token = await oldToken();
    const msg = { msgtype: "text", text: { content: "same" } };
    await send(token, { agent_id: 123456789, userid_list: "manager1234", msg });
    const { json } = await send(token, {
      agent_id: 123456789,
      userid_list: "manager1234,user002,ghost",
      msg,
    });
    const message = emulator.store.messages.find((m) => m.meta?.taskId === json.task_id);
    const read = await call("POST", `/_emulator/messages/${message!.id}/read`, {
      body: { userId: "user002" },
    });
    expect(read.status).toBe(200);
    const result = await call(
      "POST",
      `/topapi/message/corpconversation/getsendresult?access_token=${token}`,
      {
        body: { agent_id: 123456789, task_id: json.task_id },
      },
    );
    expect(result.json.send_result).toMatchObject({
      invalid_user_id_list: ["ghost"],
      forbidden_user_id_list: ["manager1234"],
      read_user_id_list: ["user002"],
      unread_user_id_list: [],
      forbidden_list: [{ code: "143106", count: 1, userid: "manager1234" }],
    });
  });

  it("recalls within 24 hours and refuses after", async () => {
    const token = await oldToken();
    const first = await send(token, {
      agent_id: 123456789,
      userid_list: "manager1234",
      msg: { msgtype: "text", text: { content: "a" } },
    });
    const recall = (taskId: number) =>
      call("POST", `/topapi/message/corpconversation/recall?access_token=${token}`, {
        body: { agent_id: 123456789, msg_task_id: taskId },
      });
    expect((await recall(first.json.task_id)).json.errcode).toBe(0);
    expect(emulator.store.messages[0]?.meta?.recalled).toBe(true);
    const second = await send(token, {
      agent_id: 123456789,
      userid_list: "manager1234",
      msg: { msgtype: "text", text: { content: "b" } },
    });
    clock += 24 * 3600_000 + 1;
    const fresh = await oldToken();
    const late = await call("POST", `/topapi/message/corpconversation/recall?access_token=${fresh}`, {
      body: { agent_id: 123456789, msg_task_id: second.json.task_id },
    });
    expect(late.json.errcode).toBe(40035);
  });

  it("refuses to mark a message read by someone outside its conversation", async () => {
    const token = await oldToken();
    await send(token, {
      agent_id: 123456789,
      userid_list: "manager1234",
      msg: { msgtype: "text", text: { content: "c" } },
    });
    const id = emulator.store.messages[0]!.id;
    expect(
      (await call("POST", `/_emulator/messages/${id}/read`, { body: { userId: "user002" } })).status,
    ).toBe(400);
    expect(
      (await call("POST", `/_emulator/messages/nope/read`, { body: { userId: "user002" } })).status,
    ).toBe(404);
    expect((await call("POST", `/_emulator/messages/${id}/read`, { body: "not json" })).status).toBe(400);
  });
});

describe("emulator app API: robot OpenAPI", () => {
  const auth = async () => ({ "x-acs-dingtalk-access-token": await newToken() });
  const batch = async (body: Record<string, unknown>) =>
    call("POST", "/v1.0/robot/oToMessages/batchSend", { body, headers: await auth() });

  it("sends 1:1, reports invalid staff ids, and shows read status", async () => {
    const { json } = await batch({
      robotCode: APP_KEY,
      userIds: ["manager1234", "ghost"],
      msgKey: "sampleMarkdown",
      msgParam: JSON.stringify({ title: "hello title", text: "hello text" }),
    });
    expect(json).toMatchObject({
      processQueryKey: expect.any(String),
      invalidStaffIdList: ["ghost"],
      flowControlledStaffIdList: [],
    });
    const message = emulator.store.messages.find((m) => m.via === "openapi");
    expect(message?.body).toMatchObject({
      msgtype: "markdown",
      markdown: { title: "hello title", text: "hello text" },
    });
    await call("POST", `/_emulator/messages/${message!.id}/read`, { body: { userId: "manager1234" } });
    const status = await call(
      "GET",
      `/v1.0/robot/oToMessages/readStatus?robotCode=${APP_KEY}&processQueryKey=${json.processQueryKey}`,
      {
        headers: await auth(),
      },
    );
    expect(status.json.messageReadInfoList).toEqual([
      { name: "张三", userId: "manager1234", readStatus: "read", readTimestamp: clock },
    ]);
  });

  it.each([
    ["invalidParameter.userIds.empty", { userIds: [] }],
    ["invalidParameter.userIds.overMax", { userIds: Array.from({ length: 21 }, (_, i) => `u${i}`) }],
    ["invalidParameter.msgKey.invalid", { msgKey: "sampleActionCard1" }],
    ["invalidParameter.msgParam.invalid", { msgParam: "{content: x}" }],
    ["invalidParameter.msgParam.tooLong", { msgParam: JSON.stringify({ content: "x".repeat(15_001) }) }],
    ["invalidParameter.msgParam.invalid", { msgParam: JSON.stringify({ text: "no content" }) }],
    ["invalidParameter.robotCode.notExsit", { robotCode: "dingunknown" }],
  ])("answers %s to a bad batchSend (case %#)", async (code, change) => {
    const { status, json } = await batch({
      robotCode: APP_KEY,
      userIds: ["manager1234"],
      msgKey: "sampleText",
      msgParam: JSON.stringify({ content: "hi" }),
      ...change,
    });
    expect(status).toBe(400);
    expect(json.code).toBe(code);
  });

  it("sends to a group, lists readers, and recalls (batchRecall is spelled otoMessages)", async () => {
    const group = emulator.store.createConversation({
      type: "group",
      title: "值班群",
      members: ["manager1234", "user002"],
      robots: [APP_KEY],
    });
    const headers = await auth();
    const sent = await call("POST", "/v1.0/robot/groupMessages/send", {
      headers,
      body: {
        robotCode: APP_KEY,
        openConversationId: group.conversationId,
        msgKey: "sampleText",
        msgParam: '{"content":"值班"}',
      },
    });
    const message = emulator.store.listMessages({ conversationId: group.conversationId })[0];
    expect(message?.body).toMatchObject({ msgtype: "text", text: { content: "值班" } });
    await call("POST", `/_emulator/messages/${message!.id}/read`, { body: { userId: "user002" } });
    const query = await call("POST", "/v1.0/robot/groupMessages/query", {
      headers,
      body: {
        robotCode: APP_KEY,
        openConversationId: group.conversationId,
        processQueryKey: sent.json.processQueryKey,
      },
    });
    expect(query.json).toMatchObject({ readUserIds: ["user002"], hasMore: false });
    const recall = await call("POST", "/v1.0/robot/groupMessages/recall", {
      headers,
      body: {
        robotCode: APP_KEY,
        openConversationId: group.conversationId,
        processQueryKeys: [sent.json.processQueryKey, "nope"],
      },
    });
    expect(recall.json).toEqual({
      successResult: [sent.json.processQueryKey],
      failedResult: { nope: "invalid.processQueryKey" },
    });
    const oto = await batch({
      robotCode: APP_KEY,
      userIds: ["manager1234"],
      msgKey: "sampleText",
      msgParam: '{"content":"x"}',
    });
    const wrongCase = await call("POST", "/v1.0/robot/oToMessages/batchRecall", {
      headers,
      body: { robotCode: APP_KEY, processQueryKeys: [oto.json.processQueryKey] },
    });
    expect(wrongCase.status).toBe(404);
    expect(wrongCase.json.code).toBe("InvalidAction.NotFound");
    const otoRecall = await call("POST", "/v1.0/robot/otoMessages/batchRecall", {
      headers,
      body: { robotCode: APP_KEY, processQueryKeys: [oto.json.processQueryKey] },
    });
    expect(otoRecall.json.successResult).toEqual([oto.json.processQueryKey]);
  });

  it("refuses a group that does not exist", async () => {
    const { status, json } = await call("POST", "/v1.0/robot/groupMessages/send", {
      headers: await auth(),
      body: {
        robotCode: APP_KEY,
        openConversationId: "cidnope",
        msgKey: "sampleText",
        msgParam: '{"content":"x"}',
      },
    });
    expect(status).toBe(400);
    expect(json.code).toBe("openConversationId.notExisted");
  });
});
