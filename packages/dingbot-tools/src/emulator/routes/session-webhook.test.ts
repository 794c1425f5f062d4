import { describe, expect, it } from "vitest";
import { createEmulator } from "../emulator.js";

function setup() {
  let clock = 1_700_000_000_000;
  const emulator = createEmulator({ now: () => clock, sessionTtlMs: 1000 });
  const app = emulator.store.createApp({ appKey: "rc", name: "机器人" });
  const conversation = emulator.store.createConversation({ title: "群" });
  const session = emulator.ctx.webhook.sessions.create(
    {
      conversationId: conversation.conversationId,
      robotCode: app.robotCode,
      msgId: "msg1",
      expiresAt: clock + 1000,
    },
    clock,
  ).session;
  const send = (body: string, init: RequestInit = {}, query = `session=${session}`) =>
    emulator.app.request(`/robot/sendBySession?${query}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      ...init,
    });
  return { emulator, send, conversation, advance: (ms: number) => (clock += ms) };
}

const text = JSON.stringify({ msgtype: "text", text: { content: "ok" } });

describe("POST /robot/sendBySession", () => {
  it("records the app's reply into the session's conversation", async () => {
    const { send, emulator, conversation } = setup();
    expect(await (await send(text)).json()).toEqual({ errcode: 0, errmsg: "ok" });
    expect(emulator.store.messages[0]).toMatchObject({
      conversationId: conversation.conversationId,
      via: "session-webhook",
      replyTo: "msg1",
      sender: { kind: "app", id: "rc", name: "机器人" },
    });
  });

  it("works up to the expiry time inclusive and answers 300001 after it", async () => {
    const { send, advance, emulator } = setup();
    advance(1000);
    expect(await (await send(text)).json()).toEqual({ errcode: 0, errmsg: "ok" });
    advance(1);
    expect(await (await send(text)).json()).toEqual({ errcode: 300001, errmsg: "session 不存在" });
    expect(emulator.store.rejections.at(-1)?.reason).toBe("session");
  });

  it.each([
    ["no session", () => ["", {}, ""] as const, 300001],
    ["GET", () => ["", { method: "GET", body: null }] as const, 43002],
    ["a text/plain body", () => [text, { headers: { "content-type": "text/plain" } }] as const, 43004],
    ["malformed JSON", () => ["{", {}] as const, 40035],
    ["a missing msgtype", () => ["{}", {}] as const, 300001],
    ["an unknown msgtype", () => ['{"msgtype":"oa"}', {}] as const, 400105],
    [
      "a body over 20000 bytes",
      () => [JSON.stringify({ msgtype: "text", text: { content: "x".repeat(20_000) } }), {}] as const,
      460101,
    ],
  ])("refuses %s", async (_n, make, errcode) => {
    const { send, emulator } = setup();
    const [body, init, query] = make() as readonly [string, RequestInit, string?];
    const res = await send(body, init, query);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errcode: number }).errcode).toBe(errcode);
    expect(emulator.store.messages).toHaveLength(0);
  });

  it("is hit by global faults", async () => {
    const { send, emulator } = setup();
    await emulator.app.request("/_emulator/faults", {
      method: "POST",
      body: JSON.stringify({ kind: "errcode", errcode: -1 }),
    });
    expect(await (await send(text)).json()).toEqual({ errcode: -1, errmsg: "系统繁忙" });
    expect(await (await send(text)).json()).toEqual({ errcode: 0, errmsg: "ok" });
  });
});
