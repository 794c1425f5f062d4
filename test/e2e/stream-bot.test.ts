/**
 * A dingbot Bot on the stream transport chats with a person on the emulator: the person's message goes
 * through `POST /_emulator/conversations/:id/messages`, the reply comes back through the sessionWebhook.
 */
import { Bot, streamTransport } from "dingbot-sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { robotMessage, type StreamWorld, startStreamWorld, waitUntil } from "./stream-helpers.js";

async function post(world: StreamWorld, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${world.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe("a dingbot stream bot on the emulator", () => {
  let world: StreamWorld;
  let bot: Bot;
  beforeEach(async () => {
    world = await startStreamWorld();
  });
  afterEach(async () => {
    await bot.stop();
    await world.emulator.close();
  });

  it("answers a person in a 1:1 chat through the sessionWebhook", async () => {
    const user = await post(world, "/_emulator/users", { name: "李四" });
    const conversation = await post(world, "/_emulator/conversations", {
      type: "single",
      title: "李四",
      members: [user.userId],
      robots: [world.app.robotCode],
    });
    const conversationId = conversation.conversationId as string;
    bot = new Bot({ baseUrl: world.baseUrl });
    bot.on("text", (ctx) => ctx.replyText(`echo: ${ctx.text?.trim()}`));
    await bot.start(
      streamTransport({
        clientId: world.app.appKey,
        clientSecret: world.app.appSecret,
        baseUrl: world.baseUrl,
      }),
    );
    const answer = await post(
      world,
      `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
      {
        from: user.userId,
        text: "早上好",
      },
    );
    expect(answer).toMatchObject({ delivered: true });
    const replies = () =>
      world.emulator.store.listMessages({ conversationId }).filter((m) => m.via === "session-webhook");
    await waitUntil(() => replies().length === 1, "the bot's reply");
    expect(replies()[0]?.body).toMatchObject({ msgtype: "text", text: { content: "echo: 早上好" } });
    expect(replies()[0]?.replyTo).toBe(answer.msgId);
  });

  it("does not run a message again when it comes back after the bot restarted its Stream transport", async () => {
    bot = new Bot({ baseUrl: world.baseUrl });
    const handled: string[] = [];
    bot.on("text", (ctx) => {
      handled.push(ctx.msgId);
    });
    const transport = () =>
      streamTransport({
        clientId: world.app.appKey,
        clientSecret: world.app.appSecret,
        baseUrl: world.baseUrl,
      });
    const hub = world.emulator.ctx.stream;
    const body = robotMessage(world, "只处理一次");
    await bot.start(transport());
    expect((await hub?.pushRobotMessage(world.app.appKey, body))?.delivered).toBe(true);
    await waitUntil(() => handled.length === 1, "the first delivery");
    // Its ack lost, DingTalk sends the same msgId again, to the bot's new transport (a fresh one, empty).
    await bot.stop();
    await bot.start(transport());
    const again = await hub?.pushRobotMessage(world.app.appKey, { ...body });
    expect(again?.delivered).toBe(true);
    const other = robotMessage(world, "新消息");
    expect((await hub?.pushRobotMessage(world.app.appKey, other))?.delivered).toBe(true);
    await waitUntil(() => handled.length === 2, "the next message");
    expect(handled).toEqual([body.msgId, other.msgId]);
  });
});
