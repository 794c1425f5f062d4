/**
 * The official `dingtalk-stream` SDK (npm 2.1.5), unchanged but for its connection-open call (protocol
 * 3.8, option 1: patch getEndpoint() on the instance), chats with a person on the emulator: it receives
 * the message over the emulator's Stream WebSocket and replies through the message's sessionWebhook.
 */
import { DWClient, TOPIC_ROBOT } from "dingtalk-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { muteSdkConsole, pointAtEmulator } from "../helpers/official-sdk.js";
import {
  post as postJson,
  robotMessage,
  type StreamWorld,
  startStreamWorld,
  waitUntil,
} from "./stream-helpers.js";

async function connections(world: StreamWorld): Promise<string[]> {
  const list = (await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()) as Array<{
    id: string;
  }>;
  return list.map((c) => c.id);
}

/** POSTs JSON to the world's emulator and returns its JSON answer. */
const post = (world: StreamWorld, path: string, body: unknown) => postJson(world.baseUrl, path, body);

describe("the official dingtalk-stream SDK against the emulator", () => {
  let world: StreamWorld;
  let client: DWClient | undefined;
  let unmute = () => {};
  beforeEach(async () => {
    world = await startStreamWorld({ pingIntervalMs: 200 });
    unmute = muteSdkConsole();
  });
  afterEach(async () => {
    client?.disconnect();
    await world.emulator.close();
    unmute();
  });

  it("receives a person's message and replies through the sessionWebhook", async () => {
    const app = await post(world, "/_emulator/apps", { mode: "stream", name: "官方SDK机器人" });
    const user = await post(world, "/_emulator/users", { name: "张三" });
    const conversation = await post(world, "/_emulator/conversations", {
      type: "single",
      title: "张三",
      members: [user.userId],
      robots: [app.robotCode],
    });
    client = new DWClient({ clientId: app.appKey as string, clientSecret: app.appSecret as string });
    pointAtEmulator(client, world.baseUrl);
    const received: Array<Record<string, unknown>> = [];
    client.registerCallbackListener(TOPIC_ROBOT, async (res) => {
      const message = JSON.parse(res.data) as Record<string, unknown>;
      received.push(message);
      client?.socketCallBackResponse(res.headers.messageId, { ok: true });
      await fetch(message.sessionWebhook as string, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          msgtype: "text",
          text: { content: `收到：${(message.text as { content: string }).content}` },
        }),
      });
    });
    await client.connect();
    await waitUntil(
      () => world.emulator.ctx.stream?.isConnected(app.appKey as string) === true,
      "the SDK to connect",
    );

    const answer = await post(
      world,
      `/_emulator/conversations/${encodeURIComponent(conversation.conversationId as string)}/messages`,
      {
        from: user.userId,
        text: "你好，机器人",
      },
    );
    expect(answer).toMatchObject({ delivered: true });
    expect(received[0]).toMatchObject({ msgtype: "text", text: { content: "你好，机器人" } });

    const replies = async () => {
      const response = await fetch(
        `${world.baseUrl}/_emulator/messages?conversationId=${encodeURIComponent(conversation.conversationId as string)}`,
      );
      return ((await response.json()) as Array<{ via: string; body: { text?: { content: string } } }>).filter(
        (m) => m.via === "session-webhook",
      );
    };
    let found: Awaited<ReturnType<typeof replies>> = [];
    for (let i = 0; i < 100 && found.length === 0; i += 1) {
      found = await replies();
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(found[0]?.body.text?.content).toBe("收到：你好，机器人");
  });

  it("follows a SYSTEM disconnect to a new connection and keeps receiving", async () => {
    client = new DWClient({ clientId: world.app.appKey, clientSecret: world.app.appSecret });
    pointAtEmulator(client, world.baseUrl);
    const received: string[] = [];
    client.registerCallbackListener(TOPIC_ROBOT, (res) => {
      received.push((JSON.parse(res.data) as { msgId: string }).msgId);
      client?.socketCallBackResponse(res.headers.messageId, null);
    });
    await client.connect();
    await waitUntil(
      () => world.emulator.ctx.stream?.isConnected(world.app.appKey) === true,
      "the SDK to connect",
    );
    const [before] = await connections(world);
    await fetch(`${world.baseUrl}/_emulator/stream/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: world.app.appKey, how: "frame" }),
    });
    await waitUntil(
      () => false === (world.emulator.ctx.stream?.isConnected(world.app.appKey) ?? false),
      "the old socket to close",
    );
    const body = robotMessage(world, "after the disconnect");
    const result = await world.emulator.ctx.stream?.pushRobotMessage(world.app.appKey, body);
    expect(result?.delivered).toBe(true);
    expect(received).toEqual([body.msgId]);
    expect((await connections(world))[0]).not.toBe(before);
  });

  it("echoes the emulator's SYSTEM pings, so its connection stays up", async () => {
    client = new DWClient({ clientId: world.app.appKey, clientSecret: world.app.appSecret });
    pointAtEmulator(client, world.baseUrl);
    client.registerCallbackListener(TOPIC_ROBOT, () => {});
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const [info] = (await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()) as Array<{
      ua: string;
      lastPongAt: number | null;
    }>;
    expect(info?.lastPongAt).toBeGreaterThan(0);
    expect(info?.ua).toBe("");
  });
});
