/**
 * AppClient against the emulator (fetch bound to the emulator app, no sockets): tokens of both styles with
 * single-flight refresh, expiry in the middle of a batch, users, every work-notification msg type with
 * delivery confirmation, recall, and the robot OpenAPI with its typed msgKey catalogue.
 */
import {
  ApiError,
  AppClient,
  AuthError,
  type CachedToken,
  messages,
  robotMessage,
  type TokenStore,
  toRobotTemplate,
  ValidationError,
  type WorkMsg,
  workMessages,
} from "dingbot-sdk";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { beforeEach, describe, expect, it } from "vitest";

const APP_KEY = "dingclient0001";
const APP_SECRET = "client-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const AGENT_ID = 987654321;

let emulator: Emulator;
let clock: number;
let tokenCalls: string[];
let logLines: string[];

function client(overrides: Partial<ConstructorParameters<typeof AppClient>[0]> = {}): AppClient {
  const fetchViaEmulator: typeof fetch = async (input, init) => {
    const url = String(input);
    if (url.includes("/gettoken") || url.includes("/oauth2/accessToken")) tokenCalls.push(url);
    return emulator.app.request(url, init);
  };
  const record = (obj: object, msg?: string) => logLines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  return new AppClient({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    agentId: AGENT_ID,
    baseUrl: "http://emulator.test",
    fetch: fetchViaEmulator,
    now: () => clock,
    sleep: async () => {
      clock += 100;
    },
    logger: { debug: record, info: record, warn: record, error: record },
    ...overrides,
  });
}

async function markRead(messageId: string, userId: string): Promise<void> {
  const response = await emulator.app.request(`/_emulator/messages/${messageId}/read`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  expect(response.status).toBe(200);
}

beforeEach(() => {
  clock = Date.UTC(2026, 2, 1, 3, 0, 0);
  tokenCalls = [];
  logLines = [];
  emulator = createEmulator({ now: () => clock, notificationDelayMs: 1000, tokenTtlSeconds: 7200 });
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: AGENT_ID, name: "运维通知" });
  emulator.store.createUser({ userId: "manager1234", mobile: "13800000000", name: "王五" });
  for (let i = 1; i <= 45; i += 1)
    emulator.store.createUser({ userId: `u${i}`, mobile: `1390000${String(i).padStart(4, "0")}` });
});

describe("AppClient tokens", () => {
  it("makes one token request for 100 concurrent calls from a cold cache", async () => {
    const c = client();
    const ids = await Promise.all(Array.from({ length: 100 }, () => c.getUserIdByMobile("13800000000")));
    expect(new Set(ids)).toEqual(new Set(["manager1234"]));
    expect(tokenCalls.filter((u) => u.includes("/gettoken"))).toHaveLength(1);
    expect(c.tokenFetches).toEqual({ oapi: 1, api: 0 });
  });

  it("keeps the two token styles apart: gettoken for oapi, oauth2/accessToken for the robot OpenAPI", async () => {
    const c = client();
    await c.getUserIdByMobile("13800000000");
    await c.robot.send("sampleText", { content: "hi" }, ["manager1234"]);
    expect(tokenCalls.map((u) => new URL(u).pathname)).toEqual(["/gettoken", "/v1.0/oauth2/accessToken"]);
  });

  it("refreshes before expiry", async () => {
    const c = client({ earlyRefreshMs: 5 * 60_000 });
    await c.getToken("oapi");
    clock += 7200_000 - 4 * 60_000;
    await c.getToken("oapi");
    expect(c.tokenFetches.oapi).toBe(2);
  });

  it("retries once, transparently, when the token expired in the middle of a batch (one refresh for all)", async () => {
    const c = client();
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => c.getUser(`u${i + 1}`)));
    // DingTalk revokes the token behind the client's back; the client's clock says it is still fresh.
    emulator.ctx.appApi.tokens.revoke(APP_KEY);
    const second = await Promise.all(Array.from({ length: 20 }, (_, i) => c.getUser(`u${i + 21}`)));
    expect(first.length + second.length).toBe(40);
    expect(second[0]?.userid).toBe("u21");
    expect(c.tokenFetches.oapi).toBe(2);
  });

  it("recovers, with one refresh, when the token expires (by DingTalk's clock) in the middle of a batch", async () => {
    const frozen = clock;
    const c = client({ now: () => frozen });
    const send = (i: number) =>
      c.workNotifications.send({ userIds: [`u${i}`] }, workMessages.text(`batch ${i}`));
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i + 1)));
    clock += 7200_000;
    const second = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i + 21)));
    expect(new Set([...first, ...second].map((r) => r.taskId)).size).toBe(40);
    expect(c.tokenFetches.oapi).toBe(2);
  });

  it("retries once after a plain 40014 from the legacy (non-topapi) endpoint", async () => {
    const c = client();
    await c.getUserIdByMobile("13800000000", { legacy: true });
    emulator.ctx.appApi.tokens.revoke(APP_KEY);
    expect(await c.getUserIdByMobile("13800000000", { legacy: true })).toBe("manager1234");
    expect(c.tokenFetches.oapi).toBe(2);
  });

  it("does not loop when the fresh token is refused too: the second AuthError surfaces", async () => {
    const c = client();
    await c.getToken("oapi");
    // Every token the emulator issues from now on is revoked before it can be used.
    const tokens = emulator.ctx.appApi.tokens;
    const issue = tokens.issue.bind(tokens);
    tokens.issue = (...args) => {
      const record = issue(...args);
      record.expiresAt = 0;
      return record;
    };
    tokens.revoke(APP_KEY);
    await expect(c.getUser("u1")).rejects.toBeInstanceOf(AuthError);
    expect(c.tokenFetches.oapi).toBe(2);
  });

  it("retries once after InvalidAuthentication on the new API", async () => {
    const c = client();
    await c.robot.send("sampleText", { content: "one" }, ["u1"]);
    emulator.ctx.appApi.tokens.revoke(APP_KEY);
    await c.robot.send("sampleText", { content: "two" }, ["u1"]);
    expect(c.tokenFetches.api).toBe(2);
  });

  it("throws AuthError for a wrong appSecret, naming the fix and never the secret", async () => {
    const secret = "wrong-secret-that-must-never-be-printed";
    const c = client({ appSecret: secret });
    const error = await c.getToken("oapi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ errcode: 40096, endpoint: "GET /gettoken" });
    expect(String((error as Error).message)).toContain("DINGTALK_APP_SECRET");
    expect(String((error as Error).message)).not.toContain(secret);
    const neu = await c.getToken("api").catch((e: unknown) => e);
    expect(neu).toMatchObject({ apiCode: "invalidClientIdOrSecret", status: 400 });
    expect(neu).toBeInstanceOf(AuthError);
    expect(c.tokenFetches.oapi).toBe(1);
  });

  it("does not hand a stored token to a client with a wrong secret, and keeps the secret out of the keys", async () => {
    const saved = new Map<string, CachedToken>();
    const tokenStore: TokenStore = {
      get: (key) => saved.get(key),
      set: (key, token) => void saved.set(key, token),
      delete: (key) => void saved.delete(key),
    };
    await client({ tokenStore }).getToken("oapi");
    expect(saved.size).toBe(1);
    const wrong = "wrong-secret-sharing-the-store";
    const error = await client({ tokenStore, appSecret: wrong })
      .getToken("oapi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    for (const key of saved.keys()) {
      expect(key).not.toContain(APP_SECRET);
      expect(key).not.toContain(wrong);
    }
    // The right secret still finds its token without asking DingTalk again.
    const calls = tokenCalls.length;
    await client({ tokenStore }).getToken("oapi");
    expect(tokenCalls.length).toBe(calls);
  });

  it("never logs the token", async () => {
    const c = client();
    const token = await c.getToken("oapi");
    await c.getUserIdByMobile("13800000000");
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("\n")).not.toContain(token.value);
  });
});

describe("AppClient users", () => {
  it("finds userids by mobile with the topapi and the legacy endpoint", async () => {
    const c = client();
    expect(await c.getUserIdByMobile("13800000000")).toBe("manager1234");
    expect(await c.getUserIdByMobile("13800000000", { legacy: true })).toBe("manager1234");
    expect(await c.getUser("manager1234")).toMatchObject({ name: "王五", mobile: "13800000000" });
  });

  it("throws ApiError 60121 for an unknown mobile", async () => {
    const error = await client()
      .getUserIdByMobile("10000000000")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ errcode: 60121 });
  });
});

describe("AppClient work notifications", () => {
  const ALL_TYPES: WorkMsg[] = [
    workMessages.text("部署完成"),
    workMessages.markdown("部署", "**完成**"),
    workMessages.link({ title: "报告", text: "周报", messageUrl: "https://example.com/r", picUrl: "" }),
    workMessages.actionCard({
      title: "审批",
      markdown: "请审批",
      singleTitle: "查看",
      singleUrl: "https://example.com/a",
    }),
    workMessages.buttonsCard({
      title: "审批",
      markdown: "请选择",
      buttons: [
        { title: "同意", actionUrl: "https://example.com/y" },
        { title: "拒绝", actionUrl: "https://example.com/n" },
      ],
      horizontal: true,
    }),
    workMessages.oa({
      message_url: "https://example.com/oa",
      head: { bgcolor: "FFBBBBBB", text: "头" },
      body: { title: "正文" },
    }),
    workMessages.image("@lADOimage"),
    workMessages.voice("@lADOvoice", 10),
    workMessages.file("@lADOfile"),
  ];

  it.each(ALL_TYPES.map((m) => [m.msgtype, m] as const))(
    "sends a %s notification and confirms delivery",
    async (_t, msg) => {
      const c = client();
      const report = await c.workNotifications.sendAndConfirm({ userIds: ["manager1234"] }, msg);
      expect(report).toMatchObject({
        done: true,
        allDelivered: true,
        recipients: [{ userId: "manager1234", outcome: "unread" }],
      });
      const delivered = emulator.store.messages.filter((m) => m.via === "work-notification");
      expect(delivered.map((m) => m.body)).toEqual([msg]);
    },
  );

  it("polls with backoff until the task is done and reports progress", async () => {
    const c = client();
    const seen: number[] = [];
    const report = await c.workNotifications.sendAndConfirm(
      { userIds: ["u1"] },
      workMessages.text("progress"),
      {
        onProgress: (p) => seen.push(p.status),
      },
    );
    expect(seen.at(-1)).toBe(2);
    expect(seen.length).toBeGreaterThan(1);
    expect(report.done).toBe(true);
  });

  it("reports invalid, forbidden with its reason, read and unread recipients", async () => {
    const c = client();
    await c.workNotifications.sendAndConfirm({ userIds: ["u1"] }, workMessages.text("dup"));
    const { taskId } = await c.workNotifications.send(
      { userIds: ["u1", "u2", "u3", "ghost"] },
      workMessages.text("dup"),
    );
    clock += 1000;
    await c.workNotifications.getProgress(taskId);
    const forU3 = emulator.store.messages.find(
      (m) =>
        m.meta?.taskId === taskId && emulator.store.conversations.get(m.conversationId)?.members[0] === "u3",
    );
    expect(forU3).toBeDefined();
    await markRead(forU3!.id, "u3");
    const report = await c.workNotifications.confirm(taskId, ["u1", "u2", "u3", "ghost"]);
    const byUser = Object.fromEntries(report.recipients.map((r) => [r.userId, r]));
    expect(byUser.ghost?.outcome).toBe("invalid");
    expect(byUser.u1).toMatchObject({ outcome: "forbidden", reason: { code: "143106" } });
    expect(byUser.u2?.outcome).toBe("unread");
    expect(byUser.u3?.outcome).toBe("read");
    expect(report.allDelivered).toBe(false);
  });

  it("gives up polling after timeoutMs and marks unfinished recipients pending", async () => {
    emulator = createEmulator({ now: () => clock, notificationDelayMs: 10 * 60_000 });
    emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: AGENT_ID });
    emulator.store.createUser({ userId: "u1", mobile: "13900000001" });
    const report = await client().workNotifications.sendAndConfirm(
      { userIds: ["u1"] },
      workMessages.text("slow"),
      { timeoutMs: 2000 },
    );
    expect(report).toMatchObject({
      done: false,
      allDelivered: false,
      recipients: [{ userId: "u1", outcome: "pending" }],
    });
  });

  it("sends to a department and to everyone", async () => {
    const c = client();
    const dept = await c.workNotifications.sendAndConfirm({ deptIds: [1, 42] }, workMessages.text("dept"));
    expect(dept.invalidDeptIds).toEqual([42]);
    expect(dept.recipients).toHaveLength(46);
    const all = await c.workNotifications.sendAndConfirm({ toAll: true }, workMessages.text("all"));
    expect(all.allDelivered).toBe(true);
    expect(all.recipients).toHaveLength(46);
  });

  it("recalls a notification", async () => {
    const c = client();
    const report = await c.workNotifications.sendAndConfirm({ userIds: ["u1"] }, workMessages.text("oops"));
    await c.workNotifications.recall(report.taskId);
    expect(emulator.store.messages.at(-1)?.meta?.recalled).toBe(true);
  });

  it("refuses, before sending, a target without recipients or a client without agentId", async () => {
    await expect(client().workNotifications.send({}, workMessages.text("x"))).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      client({ agentId: undefined }).workNotifications.send({ userIds: ["u1"] }, workMessages.text("x")),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(tokenCalls).toHaveLength(0);
  });

  it("surfaces another app's agent_id as ApiError 40056", async () => {
    const error = await client({ agentId: 1 })
      .workNotifications.send({ userIds: ["u1"] }, workMessages.text("x"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ errcode: 40056 });
  });
});

describe("AppClient robot OpenAPI", () => {
  it("splits 45 recipients into 3 batchSend calls of at most 20", async () => {
    const c = client();
    const userIds = Array.from({ length: 45 }, (_, i) => `u${i + 1}`);
    const result = await c.robot.sendToUsers(
      userIds,
      robotMessage("sampleMarkdown", { title: "周报", text: "**本周**" }),
    );
    expect(result.processQueryKeys).toHaveLength(3);
    expect(emulator.store.messages.filter((m) => m.via === "openapi")).toHaveLength(45);
  });

  it("reports read status and recalls 1:1 messages", async () => {
    const c = client();
    const result = await c.robot.send("sampleText", { content: "读了吗" }, ["u1", "u2", "nobody"]);
    expect(result.invalidUserIds).toEqual(["nobody"]);
    const key = result.processQueryKeys[0]!;
    const message = emulator.store.messages.find(
      (m) =>
        m.meta?.processQueryKey === key &&
        emulator.store.conversations.get(m.conversationId)?.members[0] === "u1",
    );
    await markRead(message!.id, "u1");
    const status = await c.robot.readStatus(key);
    expect(status.messageReadInfoList.map((r) => [r.userId, r.readStatus])).toEqual([
      ["u1", "read"],
      ["u2", "unread"],
    ]);
    const recall = await c.robot.recall([key]);
    expect(recall.successResult).toEqual([key]);
  });

  it("sends to a group and converts every robot message body to a template", async () => {
    const group = emulator.store.createConversation({ type: "group", members: ["u1"], robots: [APP_KEY] });
    const c = client();
    const bodies = [
      messages.text("t"),
      messages.markdown("m", "**m**"),
      messages.link({ title: "l", text: "l", messageUrl: "https://x" }),
      messages.actionCard({ title: "a", text: "a", singleTitle: "go", singleURL: "https://x" }),
      messages.buttonsCard({
        title: "b",
        text: "b",
        buttons: [
          { title: "1", actionURL: "https://1" },
          { title: "2", actionURL: "https://2" },
        ],
      }),
      messages.buttonsCard({
        title: "h",
        text: "h",
        horizontal: true,
        buttons: [
          { title: "1", actionURL: "https://1" },
          { title: "2", actionURL: "https://2" },
        ],
      }),
      messages.feedCard([{ title: "f", messageURL: "https://f", picURL: "" }]),
    ];
    for (const body of bodies) await c.robot.sendToGroup(group.conversationId, toRobotTemplate(body));
    const keys = emulator.store
      .listMessages({ conversationId: group.conversationId })
      .map((m) => m.body.msgKey);
    expect(keys).toEqual([
      "sampleText",
      "sampleMarkdown",
      "sampleLink",
      "sampleActionCard",
      "sampleActionCard2",
      "sampleActionCard6",
      "sampleMarkdown",
    ]);
  });

  it("lists a group message's readers and recalls it; a 1:1 recall after 24 h fails per key", async () => {
    const group = emulator.store.createConversation({
      type: "group",
      members: ["u1", "u2"],
      robots: [APP_KEY],
    });
    const c = client();
    const { processQueryKey } = await c.robot.sendToGroup(
      group.conversationId,
      robotMessage("sampleText", { content: "g" }),
    );
    const message = emulator.store.listMessages({ conversationId: group.conversationId })[0]!;
    await markRead(message.id, "u2");
    expect((await c.robot.groupReadStatus(group.conversationId, processQueryKey)).readUserIds).toEqual([
      "u2",
    ]);
    expect((await c.robot.recallGroup(group.conversationId, [processQueryKey])).successResult).toEqual([
      processQueryKey,
    ]);
    const old = await c.robot.send("sampleText", { content: "old" }, ["u1"]);
    clock += 24 * 3600_000 + 1;
    const late = await c.robot.recall(old.processQueryKeys);
    expect(late.failedResult).toEqual({ [old.processQueryKeys[0]!]: "processQueryKey.expireTime" });
  });

  it("throws ApiError with the new-API code for an unknown group", async () => {
    const error = await client()
      .robot.sendToGroup("cidnope", robotMessage("sampleText", { content: "x" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, apiCode: "openConversationId.notExisted" });
  });

  it("calls any endpoint with request(): /v1.0 paths with the header token, others with the query token", async () => {
    const c = client();
    const neu = await c
      .request({
        method: "GET",
        path: `/v1.0/robot/oToMessages/readStatus`,
        query: { robotCode: APP_KEY, processQueryKey: "nope" },
      })
      .catch((e: unknown) => e);
    expect(neu).toMatchObject({ apiCode: "invalid.processQueryKey" });
    const old = await c.request({ method: "POST", path: "/topapi/v2/user/get", body: { userid: "u1" } });
    expect(old).toMatchObject({ errcode: 0, result: { userid: "u1" } });
  });
});
