/**
 * Card callbacks (someone pressed a button on a card) reach `bot.action` handlers over both transports:
 * Stream mode through a small in-test gateway (an HTTP server for `connections/open` and a `ws` server that
 * sends card callback frames and reads the acks), and the HTTP callback with DingTalk's `x-ddpaas-signature`.
 * The emulator does not send card callbacks yet; these tests pin the frames and requests it will have to send.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Bot, httpServerTransport, signCardCallback, streamTransport } from "dingbot-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { waitUntil } from "./stream-helpers.js";

const CARD_TOPIC = "/v1.0/card/instances/callback";
const ROBOT_TOPIC = "/v1.0/im/bot/messages/get";

/** A card callback body as DingTalk sends it (official Go/Python SDK shapes). */
function cardCallback(actionIds: string[], params: Record<string, unknown> = {}, overrides: object = {}) {
  return {
    corpId: "dingcorp",
    userId: "manager42",
    outTrackId: "track-1",
    type: "actionCallback",
    spaceType: "IM_GROUP",
    spaceId: "cidGroup==",
    userIdType: 1,
    extension: "{}",
    content: JSON.stringify({ cardPrivateData: { actionIds, params } }),
    ...overrides,
  };
}

interface Ack {
  code: number;
  headers: { messageId: string };
  message: string;
  data: string;
}

/** A gateway playing DingTalk's Stream side: records subscriptions, sends frames, collects acks. */
async function startGateway() {
  const subscriptions: Array<Array<{ type: string; topic: string }>> = [];
  const acks: Ack[] = [];
  const sockets: WebSocket[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      subscriptions.push(
        (JSON.parse(body) as { subscriptions: Array<{ type: string; topic: string }> }).subscriptions,
      );
      const { port } = server.address() as AddressInfo;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: randomUUID() }));
    });
  });
  const wss = new WebSocketServer({ server, path: "/connect" });
  wss.on("connection", (ws) => {
    sockets.push(ws);
    ws.on("message", (data) => acks.push(JSON.parse(String(data)) as Ack));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    subscriptions,
    acks,
    /** Sends a CALLBACK frame on the latest socket. */
    send(topic: string, messageId: string, data: string) {
      const ws = sockets.at(-1);
      if (!ws) throw new Error("no socket connected");
      ws.send(
        JSON.stringify({
          specVersion: "1.0",
          type: "CALLBACK",
          headers: { topic, messageId, contentType: "application/json", time: String(Date.now()) },
          data,
        }),
      );
    },
    ackOf(messageId: string): Ack | undefined {
      return acks.find((ack) => ack.headers.messageId === messageId);
    },
    get connected() {
      return sockets.length > 0;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Gateway = Awaited<ReturnType<typeof startGateway>>;

describe("card callbacks over Stream mode", () => {
  let gateway: Gateway;
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await gateway?.close();
  });

  async function startBot(setup: (bot: Bot) => void) {
    gateway = await startGateway();
    const bot = new Bot();
    setup(bot);
    const transport = streamTransport({
      clientId: "appkey",
      clientSecret: "app-secret-0123456789abcdef",
      baseUrl: gateway.baseUrl,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    await bot.start(transport);
    cleanups.push(() => bot.stop());
    await waitUntil(() => gateway.connected, "the socket");
    return { bot, transport };
  }

  it("subscribes to the card topic when an action handler exists, and acks with {response} from ctx.updateCard", async () => {
    const seen: unknown[] = [];
    await startBot((bot) =>
      bot.action("approve", (ctx) => {
        seen.push(ctx.card.params);
        ctx.updateCard({ status: `approved by ${ctx.card.userId}` });
      }),
    );
    expect(gateway.subscriptions[0]).toEqual([
      { type: "CALLBACK", topic: ROBOT_TOPIC },
      { type: "CALLBACK", topic: CARD_TOPIC },
    ]);
    gateway.send(CARD_TOPIC, "card-m1", JSON.stringify(cardCallback(["approve"], { reason: "ok" })));
    await waitUntil(() => gateway.ackOf("card-m1") !== undefined, "the ack");
    const ack = gateway.ackOf("card-m1");
    expect(ack).toMatchObject({ code: 200, message: "OK", headers: { messageId: "card-m1" } });
    expect(JSON.parse(ack?.data ?? "")).toEqual({
      response: {
        cardData: { cardParamMap: { status: "approved by manager42" } },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      },
    });
    expect(seen).toEqual([{ reason: "ok" }]);
  });

  it("acks {response: null} when no handler matched or the handler changed nothing", async () => {
    await startBot((bot) => bot.action("approve", () => {}));
    gateway.send(CARD_TOPIC, "card-none", JSON.stringify(cardCallback(["other"])));
    gateway.send(CARD_TOPIC, "card-quiet", JSON.stringify(cardCallback(["approve"])));
    await waitUntil(() => gateway.acks.length >= 2, "both acks");
    for (const id of ["card-none", "card-quiet"]) {
      expect(gateway.ackOf(id)).toMatchObject({ code: 200, data: JSON.stringify({ response: null }) });
    }
  });

  it("does not subscribe to card callbacks without an action handler, and answers a stray one 404", async () => {
    await startBot(() => {});
    expect(gateway.subscriptions[0]).toEqual([{ type: "CALLBACK", topic: ROBOT_TOPIC }]);
    gateway.send(CARD_TOPIC, "stray", JSON.stringify(cardCallback(["approve"])));
    await waitUntil(() => gateway.ackOf("stray") !== undefined, "the ack");
    expect(gateway.ackOf("stray")).toMatchObject({ code: 404 });
  });

  it("acks a throwing handler with 500 and keeps serving", async () => {
    let calls = 0;
    const { transport } = await startBot((bot) => {
      bot.catch(() => {});
      bot.action("boom", () => {
        calls += 1;
        throw new Error("database down at 10.0.0.7");
      });
      bot.action("fine", (ctx) => ctx.updateCard({ ok: true }));
    });
    gateway.send(CARD_TOPIC, "card-boom", JSON.stringify(cardCallback(["boom"])));
    await waitUntil(() => gateway.ackOf("card-boom") !== undefined, "the error ack");
    const ack = gateway.ackOf("card-boom");
    expect(ack).toMatchObject({ code: 500, message: "handler failed" });
    // The handler's own message (internals) never goes back to DingTalk.
    expect(JSON.stringify(ack)).not.toContain("10.0.0.7");
    gateway.send(CARD_TOPIC, "card-fine", JSON.stringify(cardCallback(["fine"])));
    await waitUntil(() => gateway.ackOf("card-fine") !== undefined, "the next ack");
    expect(gateway.ackOf("card-fine")).toMatchObject({ code: 200 });
    expect(calls).toBe(1);
    expect(transport.stats.failures).toBe(1);
    expect(transport.state).toBe("open");
  });

  it("acks a malformed callback or content with 400 and a reason, without calling the handler", async () => {
    let calls = 0;
    await startBot((bot) =>
      bot.action(
        () => true,
        () => {
          calls += 1;
        },
      ),
    );
    gateway.send(CARD_TOPIC, "bad-content", JSON.stringify(cardCallback([], {}, { content: "{not json" })));
    gateway.send(CARD_TOPIC, "bad-body", "not json at all");
    gateway.send(CARD_TOPIC, "no-track", JSON.stringify(cardCallback(["x"], {}, { outTrackId: "" })));
    await waitUntil(() => gateway.acks.length >= 3, "three acks");
    for (const id of ["bad-content", "bad-body", "no-track"]) {
      const ack = gateway.ackOf(id);
      expect(ack?.code).toBe(400);
      expect(ack?.message).toMatch(/card callback/);
    }
    expect(calls).toBe(0);
  });

  it("takes card callbacks without a bot through onCardCallback", async () => {
    gateway = await startGateway();
    const bodies: unknown[] = [];
    const transport = streamTransport({
      clientId: "appkey",
      clientSecret: "app-secret-0123456789abcdef",
      baseUrl: gateway.baseUrl,
      onCardCallback: async (body) => {
        bodies.push(JSON.parse(String(body)));
        return { cardData: { cardParamMap: { seen: "yes" } } };
      },
    });
    await transport.start(async () => {}, new AbortController().signal);
    cleanups.push(() => transport.stop());
    await waitUntil(() => gateway.connected, "the socket");
    expect(gateway.subscriptions[0]).toContainEqual({ type: "CALLBACK", topic: CARD_TOPIC });
    gateway.send(CARD_TOPIC, "raw-1", JSON.stringify(cardCallback(["x"])));
    await waitUntil(() => gateway.ackOf("raw-1") !== undefined, "the ack");
    expect(JSON.parse(gateway.ackOf("raw-1")?.data ?? "")).toEqual({
      response: { cardData: { cardParamMap: { seen: "yes" } } },
    });
    expect(bodies).toMatchObject([{ outTrackId: "track-1" }]);
  });

  it("runs the handler once for a redelivered messageId and acks the redelivery", async () => {
    let calls = 0;
    await startBot((bot) =>
      bot.action("once", (ctx) => {
        calls += 1;
        ctx.updateCard({ n: calls });
      }),
    );
    const data = JSON.stringify(cardCallback(["once"]));
    gateway.send(CARD_TOPIC, "dup", data);
    await waitUntil(() => gateway.acks.length >= 1, "the first ack");
    gateway.send(CARD_TOPIC, "dup", data);
    await waitUntil(() => gateway.acks.length >= 2, "the second ack");
    expect(gateway.acks.map((ack) => ack.code)).toEqual([200, 200]);
    expect(calls).toBe(1);
  });
});

describe("card callbacks over the HTTP callback", () => {
  const API_SECRET = "card-api-secret-0123456789";
  const APP_SECRET = "app-secret-0123456789abcdef";
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  async function startBot(
    setup: (bot: Bot) => void,
    options: { cardApiSecret?: string; now?: () => number; timeoutMs?: number } = {},
  ) {
    const bot = new Bot();
    setup(bot);
    const transport = httpServerTransport({
      appSecret: APP_SECRET,
      port: 0,
      cardApiSecret: API_SECRET,
      ...options,
    });
    await bot.start(transport);
    stops.push(() => bot.stop());
    return `${transport.url}/card-callback`;
  }

  function post(url: string, body: unknown, headers: Record<string, string>) {
    return fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  const signed = (secret = API_SECRET, ts = Date.now()) => ({
    "x-ddpaas-signature-timestamp": String(ts),
    "x-ddpaas-signature": signCardCallback(secret, ts),
  });

  it("answers a signed callback with the handler's answer as the body", async () => {
    const url = await startBot((bot) =>
      bot.action("approve", (ctx) => ctx.updateCard({ status: "approved" })),
    );
    const response = await post(url, cardCallback(["approve"]), signed());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      cardData: { cardParamMap: { status: "approved" } },
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
    });
  });

  it("refuses unsigned (401), wrongly signed and stale (403) callbacks before running anything", async () => {
    let calls = 0;
    const url = await startBot((bot) =>
      bot.action("approve", () => {
        calls += 1;
      }),
    );
    expect((await post(url, cardCallback(["approve"]), {})).status).toBe(401);
    expect((await post(url, cardCallback(["approve"]), signed("another-secret"))).status).toBe(403);
    expect(
      (await post(url, cardCallback(["approve"]), signed(API_SECRET, Date.now() - 2 * 3_600_000))).status,
    ).toBe(403);
    // The robot callback's signature is not a card callback's.
    const robot = await post(url, cardCallback(["approve"]), { timestamp: String(Date.now()), sign: "abc=" });
    expect(robot.status).toBe(401);
    expect(calls).toBe(0);
  });

  it("refuses a captured signature carrying another body (403), and lets a retry of the same body through", async () => {
    let clock = Date.now();
    const url = await startBot((bot) => bot.action("approve", (ctx) => ctx.updateCard({ ok: true })), {
      now: () => clock,
    });
    const headers = signed(API_SECRET, clock);
    const body = JSON.stringify(cardCallback(["approve"]));
    expect((await post(url, body, headers)).status).toBe(200);
    // Past the second in which DingTalk may sign several callbacks with the same millisecond timestamp.
    clock += 5_000;
    expect((await post(url, body, headers)).status).toBe(200);
    const other = await post(url, cardCallback(["approve"], {}, { userId: "intruder" }), headers);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: string }).error).toMatch(/already used/);
  });

  it("answers a malformed content 400 with a reason and a throwing handler 500", async () => {
    const url = await startBot((bot) => {
      bot.catch(() => {});
      bot.action("boom", () => {
        throw new Error("secret internals");
      });
    });
    const malformed = await post(url, cardCallback([], {}, { content: "{oops" }), signed());
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/malformed card callback/);
    const failed = await post(url, cardCallback(["boom"]), signed());
    expect(failed.status).toBe(500);
    expect(await failed.text()).not.toContain("secret internals");
  });

  it("answers {} when the handler is slower than the inline window, and drops its late answer", async () => {
    let finished = false;
    const url = await startBot(
      (bot) =>
        bot.action("slow", async (ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 400));
          ctx.updateCard({ late: true });
          finished = true;
        }),
      { timeoutMs: 100 },
    );
    const response = await post(url, cardCallback(["slow"]), signed());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(finished).toBe(false);
    await waitUntil(() => finished, "the slow handler to end");
  });

  it("serves robot messages on its path and card callbacks on /card-callback only with cardApiSecret", async () => {
    const url = await startBot((bot) => bot.action("approve", () => {}), { cardApiSecret: undefined });
    expect((await post(url, cardCallback(["approve"]), signed())).status).toBe(404);
  });
});
