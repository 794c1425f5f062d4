/**
 * The emulator's Stream side over real sockets, driven by a raw `ws` client so nothing of dingbot's
 * client code is involved: gateway, tickets, frames, acks, redelivery, pings, disconnects, control API.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openTicket, robotMessage, type StreamWorld, startStreamWorld, waitUntil } from "./stream-helpers.js";

interface Frame {
  type: string;
  headers: Record<string, string>;
  data: string;
}

/** A raw client: connects with a ticket, records every frame, and echoes SYSTEM pings unless told not to. */
async function rawClient(world: StreamWorld, echoPings = true): Promise<{ ws: WebSocket; frames: Frame[] }> {
  const { body } = await openTicket(world);
  const ws = new WebSocket(`${body.endpoint}?ticket=${body.ticket}`);
  const frames: Frame[] = [];
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    frames.push(frame);
    if (echoPings && frame.headers.topic === "ping") {
      ws.send(JSON.stringify({ code: 200, headers: frame.headers, message: "OK", data: frame.data }));
    }
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { ws, frames };
}

function ack(ws: WebSocket, frame: Frame, code = 200, extraHeaders: Record<string, string> = {}): void {
  ws.send(
    JSON.stringify({
      code,
      headers: { contentType: "application/json", messageId: frame.headers.messageId, ...extraHeaders },
      message: "OK",
      data: JSON.stringify({ response: null }),
    }),
  );
}

/** Resolves with the HTTP status of a refused handshake. */
function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("handshake was accepted")));
    ws.on("error", () => {});
  });
}

describe("emulator Stream gateway", () => {
  let world: StreamWorld;
  beforeEach(async () => {
    world = await startStreamWorld();
  });
  afterEach(async () => {
    await world.emulator.close();
  });

  it("answers an endpoint with an explicit port and the /connect path, and a ticket", async () => {
    const { status, body } = await openTicket(world);
    expect(status).toBe(200);
    const port = new URL(world.baseUrl).port;
    expect(body.endpoint).toBe(`ws://127.0.0.1:${port}/connect`);
    expect(body.ticket).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a wrong secret with 401 authFailed in the new-API shape", async () => {
    const { status, body } = await openTicket(world, "wrong-secret");
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: "authFailed", message: "鉴权失败" });
    expect(typeof body.requestid).toBe("string");
    expect(world.emulator.store.rejections.at(-1)).toMatchObject({
      errcode: "authFailed",
      subject: world.app.appKey,
    });
  });

  it("answers XML to a request without Accept: application/json, as DingTalk does", async () => {
    const request = (accept?: string) =>
      fetch(`${world.baseUrl}/v1.0/gateway/connections/open`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(accept ? { accept } : {}) },
        body: JSON.stringify({
          clientId: world.app.appKey,
          clientSecret: world.app.appSecret,
          subscriptions: [{ type: "CALLBACK", topic: "/v1.0/im/bot/messages/get" }],
        }),
      });
    // fetch sends "*/*" when no Accept is given; a bare wildcard gets the server's default, XML.
    for (const accept of [undefined, "*/*", "text/xml"]) {
      const response = await request(accept);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/xml/);
      const text = await response.text();
      expect(text).toMatch(
        /^<\?xml [^>]*\?><OpenConnectionResponse><endpoint>ws:\/\/127\.0\.0\.1:\d+\/connect<\/endpoint><ticket>[0-9a-f-]{36}<\/ticket><\/OpenConnectionResponse>$/,
      );
    }
    // axios's default Accept (the Node SDK's transport) lists application/json first.
    for (const accept of ["application/json", "application/json, text/plain, */*"]) {
      const response = await request(accept);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toHaveProperty("ticket");
    }
  });

  it("refuses a body nested deeper than the JSON depth cap with 400", async () => {
    const deep = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    const response = await fetch(`${world.baseUrl}/v1.0/gateway/connections/open`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: deep,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "invalidParameter",
      message: expect.stringMatching(/nested/),
    });
    expect((await openTicket(world)).status).toBe(200);
  });

  it("answers a malformed body with 400 invalidParameter", async () => {
    const response = await fetch(`${world.baseUrl}/v1.0/gateway/connections/open`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ clientId: world.app.appKey }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalidParameter" });
    const notJson = await fetch(`${world.baseUrl}/v1.0/gateway/connections/open`, {
      method: "POST",
      body: "{",
    });
    expect(notJson.status).toBe(400);
  });

  it("refuses a reused ticket with 401", async () => {
    const { body } = await openTicket(world);
    const url = `${body.endpoint}?ticket=${body.ticket}`;
    const first = new WebSocket(url);
    await new Promise((resolve) => first.once("open", resolve));
    expect(await handshakeStatus(url)).toBe(401);
    first.close();
  });

  it("refuses an unknown or missing ticket with 401", async () => {
    const { body } = await openTicket(world);
    expect(await handshakeStatus(`${body.endpoint}?ticket=not-a-ticket`)).toBe(401);
    expect(await handshakeStatus(`${body.endpoint}`)).toBe(401);
  });
});

describe("emulator Stream tickets", () => {
  it("refuses an expired ticket with 401", async () => {
    const world = await startStreamWorld({ ticketTtlMs: 50 });
    try {
      const { body } = await openTicket(world);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await handshakeStatus(`${body.endpoint}?ticket=${body.ticket}`)).toBe(401);
    } finally {
      await world.emulator.close();
    }
  });
});

describe("emulator Stream hub", () => {
  let world: StreamWorld;
  beforeEach(async () => {
    world = await startStreamWorld({ pingIntervalMs: 100, streamMaxMissedPings: 2 });
  });
  afterEach(async () => {
    await world.emulator.close();
  });

  it("sets ctx.stream and pushes a CALLBACK whose data is the robot-message body; the ack resolves it", async () => {
    const { ws, frames } = await rawClient(world);
    const hub = world.emulator.ctx.stream;
    expect(hub?.isConnected(world.app.appKey)).toBe(true);
    const body = robotMessage(world, "你好");
    const delivery = hub?.pushRobotMessage(world.app.appKey, body);
    await waitUntil(() => frames.some((f) => f.type === "CALLBACK"), "the CALLBACK frame");
    const frame = frames.find((f) => f.type === "CALLBACK") as Frame;
    expect(frame.headers.topic).toBe("/v1.0/im/bot/messages/get");
    expect(typeof frame.headers.time).toBe("string");
    expect(JSON.parse(frame.data)).toEqual(body);
    ack(ws, frame, 200, { topic: frame.headers.topic as string, extra: "tolerated" });
    expect(await delivery).toEqual({ delivered: true, attempts: 1, messageId: frame.headers.messageId });
    ws.close();
  });

  it("answers a person's message to an offline stream bot at once, then delivers it when the bot connects", async () => {
    const store = world.emulator.store;
    const user = store.createUser({ name: "张三" });
    const chat = store.createConversation({
      type: "single",
      title: "张三",
      members: [user.userId],
      robots: [world.app.robotCode],
    });
    const sent = await fetch(
      `${world.baseUrl}/_emulator/conversations/${encodeURIComponent(chat.conversationId)}/messages`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from: user.userId, text: "在吗" }),
      },
    );
    const answer = (await sent.json()) as { delivered: boolean; queued?: boolean };
    expect(answer).toMatchObject({ delivered: false, queued: true });
    const { ws, frames } = await rawClient(world);
    await waitUntil(() => frames.some((f) => f.type === "CALLBACK"), "the queued CALLBACK");
    const frame = frames.find((f) => f.type === "CALLBACK") as Frame;
    expect(JSON.parse(frame.data).text.content).toBe("在吗");
    ack(ws, frame);
    ws.close();
  });

  it("refuses to push a body that fails the inbound schema", async () => {
    const result = await world.emulator.ctx.stream?.pushRobotMessage(world.app.appKey, { msgtype: "text" });
    expect(result?.delivered).toBe(false);
    expect(result?.error).toMatch(/invalid robot-message body/);
  });

  it("does not redeliver an unacked CALLBACK by default (DingTalk's protocol doc: robot messages are not re-pushed)", async () => {
    const { ws, frames } = await rawClient(world);
    const delivery = world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "once"),
    );
    expect(await delivery).toMatchObject({
      delivered: false,
      attempts: 1,
      error: "not acknowledged after 1 deliveries",
    });
    expect(frames.filter((f) => f.type === "CALLBACK")).toHaveLength(1);
    ws.close();
  });

  it("redelivers an unacked CALLBACK with the same messageId and msgId when redeliverCallbacks is on", async () => {
    await world.emulator.close();
    world = await startStreamWorld({ redeliverCallbacks: true });
    const { ws, frames } = await rawClient(world);
    const delivery = world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "again"),
    );
    await waitUntil(() => frames.filter((f) => f.type === "CALLBACK").length >= 2, "a redelivery");
    const [first, second] = frames.filter((f) => f.type === "CALLBACK") as [Frame, Frame];
    expect(second.headers.messageId).toBe(first.headers.messageId);
    expect(JSON.parse(second.data).msgId).toBe(JSON.parse(first.data).msgId);
    ack(ws, second);
    expect((await delivery)?.attempts).toBeGreaterThanOrEqual(2);
    ws.close();
  });

  it("records a non-200 ack as delivered with an error", async () => {
    const { ws, frames } = await rawClient(world);
    const delivery = world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "boom"),
    );
    await waitUntil(() => frames.some((f) => f.type === "CALLBACK"), "the CALLBACK frame");
    ack(ws, frames.find((f) => f.type === "CALLBACK") as Frame, 500);
    expect(await delivery).toMatchObject({ delivered: true, error: "client acknowledged with code 500" });
    ws.close();
  });

  it("ignores an ack nested deeper than the JSON depth cap, and takes the proper ack after it", async () => {
    const { ws, frames } = await rawClient(world);
    const delivery = world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "deep"),
    );
    await waitUntil(() => frames.some((f) => f.type === "CALLBACK"), "the CALLBACK frame");
    const frame = frames.find((f) => f.type === "CALLBACK") as Frame;
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    ws.send(`{"code":200,"headers":{"messageId":"${frame.headers.messageId}"},"data":"","x":${deep}}`);
    let settled = false;
    void delivery?.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    ack(ws, frame);
    expect(await delivery).toMatchObject({ delivered: true, attempts: 1 });
    ws.close();
  });

  it("spreads pushes over several connections of one app", async () => {
    const a = await rawClient(world);
    const b = await rawClient(world);
    const hub = world.emulator.ctx.stream;
    const deliveries = [1, 2, 3, 4].map((i) =>
      hub?.pushRobotMessage(world.app.appKey, robotMessage(world, `m${i}`)),
    );
    const callbacks = (c: { frames: Frame[] }) => c.frames.filter((f) => f.type === "CALLBACK");
    await waitUntil(() => callbacks(a).length + callbacks(b).length >= 4, "four CALLBACKs");
    expect(callbacks(a).length).toBe(2);
    expect(callbacks(b).length).toBe(2);
    for (const c of [a, b]) for (const f of callbacks(c)) ack(c.ws, f);
    expect((await Promise.all(deliveries)).every((d) => d?.delivered)).toBe(true);
    expect((await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()).length).toBe(2);
    a.ws.close();
    b.ws.close();
  });

  it("sends SYSTEM pings and closes a connection that does not echo them", async () => {
    const { ws, frames } = await rawClient(world, false);
    const closed = new Promise((resolve) => ws.once("close", resolve));
    await waitUntil(() => frames.some((f) => f.headers.topic === "ping"), "a ping");
    expect(JSON.parse((frames[0] as Frame).data)).toHaveProperty("opaque");
    await closed;
    expect(world.emulator.ctx.stream?.isConnected(world.app.appKey)).toBe(false);
  });

  it("keeps a connection that echoes pings and shows the last ping in the control API", async () => {
    const { ws, frames } = await rawClient(world);
    await waitUntil(() => frames.filter((f) => f.headers.topic === "ping").length >= 4, "four pings");
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const [info] = await (
      await fetch(`${world.baseUrl}/_emulator/stream/connections?appKey=${world.app.appKey}`)
    ).json();
    expect(info).toMatchObject({ appKey: world.app.appKey, ua: "stream-test/1.0" });
    expect(info.lastPongAt).toBeGreaterThan(0);
    ws.close();
  });

  it("sends SYSTEM disconnect, then closes the socket after the grace period", async () => {
    const { ws, frames } = await rawClient(world);
    const closed = new Promise((resolve) => ws.once("close", resolve));
    const response = await fetch(`${world.baseUrl}/_emulator/stream/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: world.app.appKey, how: "frame" }),
    });
    expect(await response.json()).toEqual({ ok: true, affected: 1 });
    await waitUntil(() => frames.some((f) => f.headers.topic === "disconnect"), "the disconnect frame");
    expect(ws.readyState).toBe(WebSocket.OPEN);
    await closed;
  });

  it("drops a socket without a close frame", async () => {
    const { ws } = await rawClient(world);
    const code = new Promise((resolve) => ws.once("close", resolve));
    await fetch(`${world.baseUrl}/_emulator/stream/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: world.app.appKey, how: "drop" }),
    });
    expect(await code).toBe(1006);
  });

  it("pushes an EVENT and reports the client's status", async () => {
    const { ws, frames } = await rawClient(world);
    const pushed = fetch(`${world.baseUrl}/_emulator/stream/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        appKey: world.app.appKey,
        eventType: "chat_update_title",
        data: { title: "新群名" },
      }),
    });
    await waitUntil(() => frames.some((f) => f.type === "EVENT"), "the EVENT frame");
    const frame = frames.find((f) => f.type === "EVENT") as Frame;
    // DingTalk sends events on topic "*" (the Go SDK routes them by type and topic "*", 404 otherwise).
    expect(frame.headers).toMatchObject({
      topic: "*",
      eventType: "chat_update_title",
      eventCorpId: world.app.corpId,
    });
    ws.send(
      JSON.stringify({
        code: 200,
        headers: { messageId: frame.headers.messageId },
        message: "OK",
        data: JSON.stringify({ status: "SUCCESS", message: "" }),
      }),
    );
    expect(await (await pushed).json()).toMatchObject({ delivered: true, status: "SUCCESS" });
    ws.close();
  });

  it("drops every connection and refuses its tickets after a reset", async () => {
    const { ws } = await rawClient(world);
    const { body } = await openTicket(world);
    const closed = new Promise((resolve) => ws.once("close", resolve));
    await fetch(`${world.baseUrl}/_emulator/reset`, { method: "POST" });
    await closed;
    expect(await handshakeStatus(`${body.endpoint}?ticket=${body.ticket}`)).toBe(401);
  });

  it("answers bad control input with 400 and keeps running", async () => {
    const bad = await fetch(`${world.baseUrl}/_emulator/stream/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: world.app.appKey, how: "explode" }),
    });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${world.baseUrl}/_emulator/stream/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(missing.status).toBe(400);
    const { status } = await openTicket(world);
    expect(status).toBe(200);
  });
});
