import { describe, expect, it } from "vitest";
import { createEmulator } from "../emulator.js";

function setup() {
  let clock = 1_700_000_000_000;
  const emulator = createEmulator({ now: () => clock });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await emulator.app.request(`http://emu.test:8089${path}`, {
      method,
      headers: { "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return {
      status: res.status,
      json: (await res.json()) as Record<string, unknown> & Array<Record<string, unknown>>,
    };
  };
  return { emulator, call, advance: (ms: number) => (clock += ms), now: () => clock };
}

describe("control API: robots", () => {
  it("creates a robot with generated token and answers its webhook at the request's origin", async () => {
    const { call } = setup();
    const { status, json } = await call("POST", "/_emulator/robots", { name: "ops", keywords: ["告警"] });
    expect(status).toBe(201);
    expect(json.accessToken).toMatch(/^[0-9a-f]{64}$/);
    expect(json.webhook).toBe(`http://emu.test:8089/robot/send?access_token=${json.accessToken}`);
    expect(json).toMatchObject({ name: "ops", keywords: ["告警"], ipWhitelist: [] });
    expect(typeof json.conversationId).toBe("string");
  });

  it("creates a robot with the given token, secret, whitelist and conversation, and lists it", async () => {
    const { call, emulator } = setup();
    const group = emulator.store.createConversation({ title: "运维群" });
    const created = await call("POST", "/_emulator/robots", {
      accessToken: "tok-1",
      secret: "SECabc",
      ipWhitelist: ["127.0.0.1", "10.0.0.0/8"],
      conversationId: group.conversationId,
    });
    expect(created.status).toBe(201);
    const list = await call("GET", "/_emulator/robots");
    expect(list.json).toHaveLength(1);
    expect(list.json[0]).toMatchObject({
      accessToken: "tok-1",
      secret: "SECabc",
      conversationId: group.conversationId,
    });
    expect((await call("GET", "/_emulator/robots/tok-1")).json.accessToken).toBe("tok-1");
    expect((await call("GET", "/_emulator/robots/nope")).status).toBe(404);
  });

  it.each([
    ["more than 10 keywords", { keywords: Array.from({ length: 11 }, (_, i) => `k${i}`) }, 400],
    ["a keyword that is not a string", { keywords: [1] }, 400],
    ["a bad whitelist entry", { ipWhitelist: ["10.0.0.0/33"] }, 400],
    ["a token with a space", { accessToken: "a b" }, 400],
    ["an unknown conversation", { conversationId: "cidNope" }, 404],
    ["a JSON array", [], 400],
    ["malformed JSON", "{", 400],
  ])("answers %s with an error", async (_n, body, status) => {
    const { call } = setup();
    const res = await call("POST", "/_emulator/robots", body);
    expect(res.status).toBe(status);
    expect(typeof res.json.error).toBe("string");
  });

  it("answers 409 for a duplicate token", async () => {
    const { call } = setup();
    await call("POST", "/_emulator/robots", { accessToken: "dup" });
    expect((await call("POST", "/_emulator/robots", { accessToken: "dup" })).status).toBe(409);
  });

  it("answers 413 for an oversized control body and keeps serving", async () => {
    const { call } = setup();
    const res = await call("POST", "/_emulator/robots", { name: "x".repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect((await call("GET", "/_emulator/robots")).status).toBe(200);
  });
});

describe("control API: messages, rejections, reset", () => {
  it("lists messages oldest first, with filters by token, conversation and since", async () => {
    const { call, emulator, advance, now } = setup();
    const a = await call("POST", "/_emulator/robots", { accessToken: "a", name: "A" });
    await call("POST", "/_emulator/robots", { accessToken: "b" });
    const send = (token: string, content: string) =>
      emulator.app.request(`/robot/send?access_token=${token}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ msgtype: "text", text: { content } }),
      });
    await send("a", "1");
    advance(10);
    const middle = now();
    await send("b", "2");
    advance(10);
    await send("a", "3");
    const all = await call("GET", "/_emulator/messages");
    expect(all.json.map((m) => (m.body as { text: { content: string } }).text.content)).toEqual([
      "1",
      "2",
      "3",
    ]);
    expect(all.json[0]).toMatchObject({ robot: { name: "A", accessToken: "a" }, via: "webhook" });
    expect(typeof all.json[0]?.id).toBe("string");
    expect(typeof all.json[0]?.time).toBe("number");
    expect((await call("GET", "/_emulator/messages?accessToken=a")).json).toHaveLength(2);
    expect(
      (
        await call(
          "GET",
          `/_emulator/messages?conversationId=${encodeURIComponent(String(a.json.conversationId))}`,
        )
      ).json,
    ).toHaveLength(2);
    expect((await call("GET", `/_emulator/messages?since=${middle}`)).json).toHaveLength(2);
    expect(
      (await call("GET", `/_emulator/messages?since=${new Date(middle).toISOString()}`)).json,
    ).toHaveLength(2);
    expect((await call("GET", "/_emulator/messages?since=yesterday")).status).toBe(400);
  });

  it("lists rejections and forgets everything on reset, including rate windows", async () => {
    const emulator = createEmulator({ rateLimit: 1, rateWindowMs: 60_000 });
    const req = (path: string, init?: RequestInit) => emulator.app.request(path, init);
    const send = async () =>
      (
        (await (
          await req("/robot/send?access_token=t", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ msgtype: "text", text: { content: "x" } }),
          })
        ).json()) as { errcode: number }
      ).errcode;
    emulator.store.createRobot({ accessToken: "t" });
    expect([await send(), await send()]).toEqual([0, 410100]);
    const rejections = (await (await req("/_emulator/rejections")).json()) as Array<{ reason: string }>;
    expect(rejections.map((r) => r.reason)).toEqual(["rate-limit"]);
    expect((await req("/_emulator/reset", { method: "POST" })).status).toBe(200);
    expect(await (await req("/_emulator/robots")).json()).toEqual([]);
    expect(await (await req("/_emulator/messages")).json()).toEqual([]);
    emulator.store.createRobot({ accessToken: "t" });
    expect(await send()).toBe(0);
  });
});
