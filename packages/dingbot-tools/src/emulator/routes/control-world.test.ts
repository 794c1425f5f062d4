import { describe, expect, it } from "vitest";
import { createEmulator } from "../emulator.js";

function setup() {
  let clock = 1_700_000_000_000;
  const emulator = createEmulator({ now: () => clock });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await emulator.app.request(`http://emu.test${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      json: (await res.json()) as Record<string, unknown> & Array<Record<string, unknown>>,
    };
  };
  return { emulator, call, advance: (ms: number) => (clock += ms) };
}

describe("control API: apps, users, conversations", () => {
  it("creates an app with generated credentials, robotCode = appKey, HTTP mode", async () => {
    const { call } = setup();
    const { status, json } = await call("POST", "/_emulator/apps", {});
    expect(status).toBe(201);
    expect(json.appKey).toMatch(/^ding[0-9a-f]{16}$/);
    expect(json.robotCode).toBe(json.appKey);
    expect(json.mode).toBe("http");
    expect(typeof json.appSecret).toBe("string");
    expect(typeof json.agentId).toBe("number");
    expect((await call("GET", "/_emulator/apps")).json).toHaveLength(1);
    expect((await call("GET", `/_emulator/apps/${json.appKey}`)).status).toBe(200);
    expect((await call("GET", "/_emulator/apps/nope")).status).toBe(404);
  });

  it("creates an app, a user and a group with the given values", async () => {
    const { call } = setup();
    const app = await call("POST", "/_emulator/apps", {
      appKey: "dingkey",
      appSecret: "sec",
      robotCode: "rc1",
      agentId: 42,
      name: "答题",
      callbackUrl: "http://127.0.0.1:3000/cb",
      mode: "stream",
    });
    expect(app.json).toMatchObject({ appKey: "dingkey", robotCode: "rc1", agentId: 42, mode: "stream" });
    const user = await call("POST", "/_emulator/users", {
      userId: "u1",
      mobile: "13800000001",
      name: "张三",
      unionId: "un1",
    });
    expect(user.status).toBe(201);
    expect(user.json).toMatchObject({ userId: "u1", mobile: "13800000001", name: "张三", unionId: "un1" });
    const conv = await call("POST", "/_emulator/conversations", {
      type: "group",
      title: "群",
      members: ["u1"],
      robots: ["rc1"],
    });
    expect(conv.status).toBe(201);
    expect(conv.json.conversationId).toMatch(/^cid/);
    expect((await call("GET", "/_emulator/conversations")).json).toHaveLength(1);
    expect((await call("GET", "/_emulator/users")).json).toHaveLength(1);
  });

  it.each([
    ["/_emulator/apps", { mode: "carrier-pigeon" }, 400],
    ["/_emulator/apps", { callbackUrl: "ftp://x" }, 400],
    ["/_emulator/apps", { agentId: "7" }, 400],
    ["/_emulator/users", { mobile: "call me" }, 400],
    ["/_emulator/users", { name: 5 }, 400],
    ["/_emulator/conversations", { members: ["ghost"] }, 404],
    ["/_emulator/conversations", { robots: ["ghost"] }, 404],
    ["/_emulator/conversations", { type: "single", members: [] }, 400],
    ["/_emulator/conversations", { type: "channel" }, 400],
  ])("POST %s %j → %i", async (path, body, status) => {
    const { call } = setup();
    const res = await call("POST", path, body);
    expect(res.status).toBe(status);
    expect(typeof res.json.error).toBe("string");
  });

  it("refuses duplicate ids with 409", async () => {
    const { call } = setup();
    await call("POST", "/_emulator/apps", { appKey: "k" });
    await call("POST", "/_emulator/users", { userId: "u" });
    expect((await call("POST", "/_emulator/apps", { appKey: "k" })).status).toBe(409);
    expect((await call("POST", "/_emulator/users", { userId: "u" })).status).toBe(409);
  });
});

describe("POST /_emulator/conversations/:id/messages (validation)", () => {
  async function world() {
    const s = setup();
    await s.call("POST", "/_emulator/apps", { appKey: "rc", callbackUrl: "http://127.0.0.1:9/none" });
    await s.call("POST", "/_emulator/apps", { appKey: "other" });
    await s.call("POST", "/_emulator/users", { userId: "u1" });
    await s.call("POST", "/_emulator/users", { userId: "u2" });
    const conv = await s.call("POST", "/_emulator/conversations", { members: ["u1"], robots: ["rc"] });
    return { ...s, cid: conv.json.conversationId as string };
  }

  it.each([
    ["an unknown conversation", "cidNope", { from: "u1", text: "hi" }, 404],
    ["an unknown user", undefined, { from: "ghost", text: "hi" }, 404],
    ["a user who is not a member", undefined, { from: "u2", text: "hi" }, 400],
    ["a missing text", undefined, { from: "u1" }, 400],
    ["a blank text", undefined, { from: "u1", text: "  " }, 400],
    ["a missing from", undefined, { text: "hi" }, 400],
    ["a robot not in the conversation", undefined, { from: "u1", text: "hi", atRobot: "other" }, 400],
  ])("refuses %s", async (_n, cid, body, status) => {
    const s = await world();
    const res = await s.call(
      "POST",
      `/_emulator/conversations/${encodeURIComponent(cid ?? s.cid)}/messages`,
      body,
    );
    expect(res.status).toBe(status);
    expect(typeof res.json.error).toBe("string");
    expect(s.emulator.store.messages).toHaveLength(0);
  });

  it("records a group message that @s no robot without delivering it", async () => {
    const s = await world();
    const res = await s.call("POST", `/_emulator/conversations/${encodeURIComponent(s.cid)}/messages`, {
      from: "u1",
      text: "大家好",
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ delivered: false, reply: null, attempts: 0 });
    expect(res.json.msgId).toMatch(/^msg/);
    expect(s.emulator.store.messages.map((m) => [m.via, m.body])).toEqual([
      ["user", { msgtype: "text", text: { content: "大家好" } }],
    ]);
  });

  it("finds a conversation whose base64 id contains / + = when the path segment is percent-encoded", async () => {
    const s = setup();
    await s.call("POST", "/_emulator/users", { userId: "u1" });
    await s.call("POST", "/_emulator/conversations", { conversationId: "cidA/B+C==", members: ["u1"] });
    const res = await s.call(
      "POST",
      `/_emulator/conversations/${encodeURIComponent("cidA/B+C==")}/messages`,
      {
        from: "u1",
        text: "hi",
      },
    );
    expect(res.status).toBe(200);
    expect(s.emulator.store.messages[0]?.conversationId).toBe("cidA/B+C==");
  });

  it("answers delivered:false with a clear error for a stream-mode app when no Stream server runs", async () => {
    const s = setup();
    await s.call("POST", "/_emulator/apps", { appKey: "st", mode: "stream" });
    await s.call("POST", "/_emulator/users", { userId: "u1" });
    const conv = await s.call("POST", "/_emulator/conversations", {
      type: "single",
      members: ["u1"],
      robots: ["st"],
    });
    const res = await s.call(
      "POST",
      `/_emulator/conversations/${encodeURIComponent(String(conv.json.conversationId))}/messages`,
      { from: "u1", text: "hi" },
    );
    expect(res.json).toMatchObject({ delivered: false, reply: null });
    expect(String(res.json.error)).toMatch(/Stream server is not running/);
  });
});
