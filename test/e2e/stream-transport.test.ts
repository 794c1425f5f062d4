/**
 * dingbot's stream transport against the real emulator over real sockets: delivery and acks, dropped
 * sockets, disconnect frames, bad tickets, wrong secrets, silent servers, throwing handlers, bursts, stop.
 */

import { readFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import {
  AuthError,
  STREAM_DEFAULT_UA,
  type StreamState,
  type StreamTransportOptions,
  streamTransport,
  type Update,
} from "dingbot-sdk";
import { createEmulator } from "dingbot-tools/emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openTicket, robotMessage, type StreamWorld, startStreamWorld, waitUntil } from "./stream-helpers.js";

/** A transport for the world's app with fast backoff, plus a record of what it handled and its states. */
function botFor(world: StreamWorld, options: Partial<StreamTransportOptions> = {}) {
  const handled: Update[] = [];
  const states: StreamState[] = [];
  let gatewayCalls = 0;
  const transport = streamTransport({
    clientId: world.app.appKey,
    clientSecret: world.app.appSecret,
    baseUrl: world.baseUrl,
    backoff: { initialMs: 50, maxMs: 400 },
    fetch: (input, init) => {
      if (String(input).includes("/gateway/connections/open")) gatewayCalls += 1;
      return fetch(input, init);
    },
    onStateChange: (state) => states.push(state),
    ...options,
  });
  const abort = new AbortController();
  return {
    transport,
    handled,
    states,
    get gatewayCalls() {
      return gatewayCalls;
    },
    start: (dispatch = async (update: Update) => void handled.push(update)) =>
      transport.start(dispatch, abort.signal),
  };
}

async function control(world: StreamWorld, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${world.baseUrl}/_emulator/stream/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

async function connectionIds(world: StreamWorld): Promise<string[]> {
  const list = (await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()) as Array<{
    id: string;
    retiring: boolean;
  }>;
  return list.filter((c) => !c.retiring).map((c) => c.id);
}

describe("streamTransport against the emulator", () => {
  let world: StreamWorld;
  const stops: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    world = await startStreamWorld({ pingIntervalMs: 200 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await world.emulator.close();
  });
  const track = <T extends { transport: { stop(): Promise<void> } }>(bot: T): T => {
    stops.push(() => bot.transport.stop());
    return bot;
  };

  it("hands a person's message to dispatch as an Update and acks it", async () => {
    const bot = track(botFor(world));
    await bot.start();
    expect(bot.transport.state).toBe("open");
    expect(bot.states.slice(0, 2)).toEqual(["connecting", "open"]);
    const body = robotMessage(world, "你好");
    const result = await world.emulator.ctx.stream?.pushRobotMessage(world.app.appKey, body);
    expect(result).toMatchObject({ delivered: true, attempts: 1 });
    expect(bot.handled).toHaveLength(1);
    expect(bot.handled[0]).toMatchObject({
      id: body.msgId,
      via: "stream",
      topic: "/v1.0/im/bot/messages/get",
    });
    expect(bot.handled[0]?.message).toMatchObject({ msgtype: "text", text: { content: "你好" } });
  });

  it("echoes SYSTEM pings so the emulator keeps the connection", async () => {
    const bot = track(botFor(world));
    await bot.start();
    const [id] = await connectionIds(world);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await connectionIds(world)).toEqual([id]);
    const [info] = (await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()) as Array<{
      lastPongAt: number;
    }>;
    expect(info?.lastPongAt).toBeGreaterThan(0);
  });

  it("loses no message and handles none twice when the socket is dropped mid-traffic", async () => {
    const bot = track(botFor(world));
    await bot.start();
    const hub = world.emulator.ctx.stream;
    const bodies = Array.from({ length: 300 }, (_, i) => robotMessage(world, `m${i}`));
    const deliveries = [];
    for (const [i, body] of bodies.entries()) {
      deliveries.push(hub?.pushRobotMessage(world.app.appKey, body));
      if (i === 150) await control(world, "disconnect", { appKey: world.app.appKey, how: "drop" });
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(deliveries);
    const ids = bot.handled.map((u) => u.id);
    expect(new Set(ids).size).toBe(bodies.length);
    expect(ids).toHaveLength(bodies.length);
    expect(bot.transport.stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(bot.transport.state).toBe("open");
  });

  it("suppresses the redelivery of a message whose ack was lost with the socket", async () => {
    await world.emulator.close();
    world = await startStreamWorld({ pingIntervalMs: 200, redeliverCallbacks: true });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const bot = track(botFor(world, { ack: "after-handler" }));
    await bot.start(async (update) => {
      bot.handled.push(update);
      await gate;
    });
    const delivery = world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "slow"),
    );
    await waitUntil(() => bot.handled.length === 1, "the handler to start");
    await control(world, "disconnect", { appKey: world.app.appKey, how: "drop" });
    await waitUntil(
      () => bot.transport.stats.reconnects >= 1 && bot.transport.state === "open",
      "the reconnect",
    );
    // The emulator redelivers the unacked frame on the new socket; the transport must not run it again.
    await waitUntil(() => bot.transport.stats.duplicates >= 1, "the redelivery");
    release();
    expect((await delivery)?.delivered).toBe(true);
    expect((await delivery)?.attempts).toBeGreaterThanOrEqual(2);
    expect(bot.handled).toHaveLength(1);
  });

  it("moves to a new connection on a SYSTEM disconnect frame and keeps receiving", async () => {
    const bot = track(botFor(world));
    await bot.start();
    const [before] = await connectionIds(world);
    await control(world, "disconnect", { appKey: world.app.appKey, how: "frame" });
    await waitUntil(() => bot.gatewayCalls === 2 && bot.transport.state === "open", "the new connection");
    const result = await world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "after"),
    );
    expect(result?.delivered).toBe(true);
    const after = await connectionIds(world);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    expect(bot.handled).toHaveLength(1);
  });

  it("reconnects exactly once after a handshake refused for an expired ticket", async () => {
    await world.emulator.close();
    world = await startStreamWorld({ ticketTtlMs: 30 });
    let calls = 0;
    const bot = track(
      botFor(world, {
        // The first ticket is held back until it has expired.
        fetch: async (input, init) => {
          calls += 1;
          const response = await fetch(input, init);
          if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 100));
          return response;
        },
      }),
    );
    await bot.start();
    expect(calls).toBe(2);
    expect(bot.transport.stats.reconnects).toBe(1);
    expect(bot.states).toEqual(["connecting", "backing-off", "connecting", "open"]);
  });

  it("reconnects with a fresh ticket after a handshake refused for a reused ticket", async () => {
    const { body } = await openTicket(world);
    const spent = new WebSocket(`${body.endpoint}?ticket=${body.ticket}`);
    await new Promise((resolve) => spent.once("open", resolve));
    let urls = 0;
    const bot = track(
      botFor(world, {
        socketUrl: (t) => {
          urls += 1;
          return `${t.endpoint}?ticket=${urls === 1 ? body.ticket : t.ticket}`;
        },
      }),
    );
    await bot.start();
    expect(bot.gatewayCalls).toBe(2);
    expect(bot.transport.stats.reconnects).toBe(1);
    spent.close();
  });

  it("gives up on a WebSocket handshake that hangs and reconnects", async () => {
    // A TCP server that accepts and never answers the upgrade.
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    const { port } = blackHole.address() as AddressInfo;
    let calls = 0;
    const bot = track(
      botFor(world, {
        connectTimeoutMs: 200,
        fetch: async (input, init) => {
          calls += 1;
          if (calls === 1) return Response.json({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: "t" });
          return fetch(input, init);
        },
      }),
    );
    await bot.start();
    expect(calls).toBe(2);
    expect(sockets).toHaveLength(1);
    expect(bot.transport.stats.reconnects).toBe(1);
    for (const socket of sockets) socket.destroy();
    blackHole.close();
  });

  it("stops with an AuthError on a wrong secret and does not call the gateway again", async () => {
    const bot = botFor(world, { clientSecret: "wrong" });
    const error = await bot.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 401, apiCode: "authFailed" });
    expect(String((error as Error).message)).not.toContain("wrong");
    expect(bot.transport.state).toBe("stopped");
    await expect(bot.transport.finished).rejects.toBeInstanceOf(AuthError);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bot.gatewayCalls).toBe(1);
  });

  it("cuts a socket whose server stopped answering keepalive pings, and reconnects", async () => {
    const bot = track(botFor(world, { keepAliveMs: 100 }));
    await bot.start();
    const [before] = await connectionIds(world);
    await control(world, "disconnect", { appKey: world.app.appKey, how: "silence" });
    await waitUntil(() => bot.gatewayCalls === 2 && bot.transport.state === "open", "the reconnect");
    const result = await world.emulator.ctx.stream?.pushRobotMessage(
      world.app.appKey,
      robotMessage(world, "alive"),
    );
    expect(result?.delivered).toBe(true);
    expect(bot.handled).toHaveLength(1);
    // The old link is half-open on the emulator's side (it stopped reading), so it may still be listed.
    expect((await connectionIds(world)).filter((id) => id !== before)).toHaveLength(1);
  });

  it("rides out an outage of the whole gateway and comes back when it returns", async () => {
    const bot = track(botFor(world));
    await bot.start();
    const port = Number(new URL(world.baseUrl).port);
    const { appKey, appSecret } = world.app;
    await world.emulator.close();
    await waitUntil(() => bot.gatewayCalls >= 4, "several failed attempts");
    expect(bot.transport.state).not.toBe("stopped");
    // DingTalk is back, on the same address, with the same app.
    const emulator = createEmulator({ pingIntervalMs: 60_000 });
    await emulator.listen(port, "127.0.0.1");
    const app = emulator.store.createApp({ appKey, appSecret, mode: "stream" });
    world = { emulator, baseUrl: world.baseUrl, app };
    await waitUntil(() => bot.transport.state === "open", "the reconnect", 15_000);
    const result = await emulator.ctx.stream?.pushRobotMessage(appKey, robotMessage(world, "back"));
    expect(result?.delivered).toBe(true);
    expect(bot.handled).toHaveLength(1);
  });

  it("acks a message whose handler threw with code 500 and keeps going", async () => {
    const bot = track(botFor(world, { ack: "after-handler" }));
    await bot.start(async (update) => {
      if (update.message.msgtype === "text" && update.message.text.content === "boom")
        throw new Error("handler bug");
      bot.handled.push(update);
    });
    const hub = world.emulator.ctx.stream;
    const failed = await hub?.pushRobotMessage(world.app.appKey, robotMessage(world, "boom"));
    expect(failed).toMatchObject({
      delivered: true,
      attempts: 1,
      error: "client acknowledged with code 500",
    });
    const ok = await hub?.pushRobotMessage(world.app.appKey, robotMessage(world, "fine"));
    expect(ok).toMatchObject({ delivered: true });
    expect(ok?.error).toBeUndefined();
    expect(bot.handled).toHaveLength(1);
    expect(bot.transport.stats.failures).toBe(1);
    expect(bot.transport.state).toBe("open");
  });

  it("acks before the handler by default, so a throwing handler is logged and counted, not redelivered", async () => {
    const bot = track(botFor(world));
    await bot.start(async () => {
      throw new Error("handler bug");
    });
    const hub = world.emulator.ctx.stream;
    const results = [
      await hub?.pushRobotMessage(world.app.appKey, robotMessage(world, "one")),
      await hub?.pushRobotMessage(world.app.appKey, robotMessage(world, "two")),
    ];
    expect(results.map((r) => r?.error)).toEqual([undefined, undefined]);
    await waitUntil(() => bot.transport.stats.failures === 2, "both failures");
    expect(bot.transport.state).toBe("open");
  });

  it("handles a burst of 1,000 messages exactly once each", async () => {
    const bot = track(botFor(world));
    await bot.start();
    const hub = world.emulator.ctx.stream;
    const bodies = Array.from({ length: 1000 }, (_, i) => robotMessage(world, `burst ${i}`));
    const results = await Promise.all(bodies.map((body) => hub?.pushRobotMessage(world.app.appKey, body)));
    expect(results.every((r) => r?.delivered)).toBe(true);
    expect(new Set(bot.handled.map((u) => u.id)).size).toBe(1000);
    expect(bot.handled).toHaveLength(1000);
  });

  it("drains in-flight handlers on stop, then closes", async () => {
    const bot = botFor(world);
    let finished = false;
    await bot.start(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      finished = true;
    });
    void world.emulator.ctx.stream?.pushRobotMessage(world.app.appKey, robotMessage(world, "slow"));
    await waitUntil(() => bot.transport.stats.dispatched === 1, "the handler to start");
    await bot.transport.stop();
    expect(finished).toBe(true);
    expect(bot.transport.state).toBe("stopped");
    await expect(bot.transport.finished).resolves.toBeUndefined();
    await waitUntil(() => !world.emulator.ctx.stream?.isConnected(world.app.appKey), "the socket to close");
    expect(bot.states.slice(-2)).toEqual(["stopping", "stopped"]);
  });

  it("answers EVENT frames with the onEvent status", async () => {
    const seen: unknown[] = [];
    const bot = track(
      botFor(world, {
        onEvent: (event) => {
          seen.push(event.data);
          return "LATER";
        },
      }),
    );
    await bot.start();
    const result = await control(world, "events", {
      appKey: world.app.appKey,
      eventType: "user_add_org",
      data: { userId: "u1" },
    });
    expect(result).toMatchObject({ delivered: true, status: "LATER" });
    expect(seen).toEqual([{ userId: "u1" }]);
  });
});

describe("streamTransport's connection-open request", () => {
  let world: StreamWorld;
  const stops: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    // Short waits: an event no connection takes settles after redeliverAfterMs × streamMaxDeliveries.
    world = await startStreamWorld({ redeliverAfterMs: 100, streamMaxDeliveries: 2 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await world.emulator.close();
  });

  async function connections(): Promise<Array<{ ua: string; subscriptions: unknown[] }>> {
    return (await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()) as Array<{
      ua: string;
      subscriptions: unknown[];
    }>;
  }

  it("subscribes to EVENT * only with an event handler, so events are left to other consumers", async () => {
    const plain = botFor(world);
    stops.push(() => plain.transport.stop());
    await plain.start();
    expect((await connections()).map((c) => c.subscriptions)).toEqual([
      [{ type: "CALLBACK", topic: "/v1.0/im/bot/messages/get" }],
    ]);
    // DingTalk would push the event to a subscribed connection of the app; this bot has none.
    const result = await control(world, "events", { appKey: world.app.appKey, eventType: "user_add_org" });
    expect(result).toMatchObject({ delivered: false });
    await plain.transport.stop();

    const withHandler = botFor(world, { onEvent: () => "SUCCESS" });
    stops.push(() => withHandler.transport.stop());
    await withHandler.start();
    await waitUntil(() => withHandler.transport.state === "open", "the second bot");
    const subscriptions = (await connections()).map((c) => c.subscriptions);
    expect(subscriptions).toEqual([
      [
        { type: "EVENT", topic: "*" },
        { type: "CALLBACK", topic: "/v1.0/im/bot/messages/get" },
      ],
    ]);
  });

  it("sends a ua in DingTalk's name-sdk-lang/version form, with the library's version", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../../packages/dingbot/package.json", import.meta.url), "utf8"),
    ) as { version: string };
    expect(STREAM_DEFAULT_UA).toBe(`dingbot-sdk-nodejs/${version}`);
    const bot = botFor(world);
    stops.push(() => bot.transport.stop());
    await bot.start();
    expect((await connections()).map((c) => c.ua)).toEqual([`dingbot-sdk-nodejs/${version}`]);
  });
});
