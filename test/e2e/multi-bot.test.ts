/**
 * Several app robots in one process (`Bots`) against the emulator: three apps over one HTTP port, each
 * app's callbackUrl pointing at its own path, and two (plus one with a wrong secret) over Stream. Every
 * message must be answered by its own bot, and every reply recorded as coming from that bot's robot:
 * inline, through the sessionWebhook, and through the robot OpenAPI with the bot's own token.
 */
import { AppClient, Bot, Bots, openApiReplier, type RunningHttpServer } from "dingbot-sdk";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { onlyReply, post, sayInNewChat, startStreamWorld } from "./stream-helpers.js";

const SESSION_TTL_MS = 400;

interface Recorded {
  conversationId: string;
  via: string;
  sender: { kind: string; id: string };
  body: Record<string, unknown>;
  replyTo?: string;
}

async function messages(base: string): Promise<Recorded[]> {
  return (await (await fetch(`${base}/_emulator/messages`)).json()) as Recorded[];
}

/**
 * A bot that signs its answers with its name: "<name>: <text>" inline, a second line through the
 * sessionWebhook for "twice", an answer after the session expired (robot OpenAPI) for "late", and a crash
 * for "boom".
 */
function namedBot(name: string, app: { appKey: string; appSecret: string }, base: string): Bot {
  const bot = new Bot({
    baseUrl: base,
    apiFallback: openApiReplier(new AppClient({ ...app, baseUrl: base })),
  });
  bot.hears("boom", () => {
    throw new Error(`${name} exploded`);
  });
  bot.hears("late", async (ctx) => {
    await ctx.replyText(`${name}: working`);
    await new Promise((resolve) => setTimeout(resolve, SESSION_TTL_MS + 200));
    await ctx.replyText(`${name}: done late`);
  });
  bot.hears("twice", async (ctx) => {
    await ctx.replyText(`${name}: one`);
    await ctx.replyText(`${name}: two`);
  });
  bot.on("text", (ctx) => ctx.replyText(`${name}: ${ctx.text}`));
  return bot;
}

describe("Bots over HTTP: three apps on one port, a path each", () => {
  const NAMES = ["alpha", "beta", "gamma"] as const;
  let emulator: Emulator;
  let base: string;
  let server: RunningHttpServer;
  const robot: Record<string, string> = {};
  let group: string;

  beforeAll(async () => {
    emulator = createEmulator({ sessionTtlMs: SESSION_TTL_MS, callbackTimeoutMs: 3000 });
    base = await emulator.listen(0);
    const bots = new Bots();
    const apps = NAMES.map((name) => ({
      name,
      appKey: `ding${name}`,
      appSecret: `${name}-secret-0123456789abcdef`,
    }));
    for (const app of apps) bots.add(app.name, namedBot(app.name, app, base), app);
    server = await bots.listen(0);
    for (const app of apps) {
      const created = await post<{ robotCode: string }>(base, "/_emulator/apps", {
        appKey: app.appKey,
        appSecret: app.appSecret,
        name: `${app.name} robot`,
        callbackUrl: `${server.url}/${app.name}`,
        mode: "http",
      });
      robot[app.name] = created.robotCode;
    }
    await post(base, "/_emulator/users", { userId: "u1", name: "张三" });
    const conversation = await post<{ conversationId: string }>(base, "/_emulator/conversations", {
      type: "group",
      members: ["u1"],
      robots: NAMES.map((name) => robot[name]),
    });
    group = conversation.conversationId;
  });

  afterAll(async () => {
    await server.close();
    await emulator.close();
  });

  const say = (text: string, name: string) =>
    post<{ msgId: string; delivered: boolean; reply: Record<string, unknown> | null }>(
      base,
      `/_emulator/conversations/${encodeURIComponent(group)}/messages`,
      { from: "u1", text, atRobot: robot[name] },
    );

  it("answers each message by the bot it was addressed to, recorded as that robot's reply", async () => {
    for (const name of NAMES) {
      const answer = await say(`hello ${name}`, name);
      expect(answer.delivered).toBe(true);
      expect(answer.reply).toMatchObject({ text: { content: `${name}: hello ${name}` } });
      const replies = (await messages(base)).filter((m) => m.replyTo === answer.msgId);
      expect(replies).toEqual([
        expect.objectContaining({
          via: "inline-reply",
          sender: expect.objectContaining({ id: robot[name] }),
        }),
      ]);
    }
  });

  it("sends later replies through that message's sessionWebhook, as its robot", async () => {
    const answer = await say("twice", "beta");
    await expect
      .poll(async () =>
        (await messages(base)).filter((m) => m.replyTo === answer.msgId).map((m) => [m.via, m.sender.id]),
      )
      .toEqual([
        ["inline-reply", robot.beta],
        ["session-webhook", robot.beta],
      ]);
  });

  it("replies after the sessionWebhook expired through the robot OpenAPI with the bot's own app token", async () => {
    const [a, g] = await Promise.all([say("late", "alpha"), say("late", "gamma")]);
    const late = async () =>
      (await messages(base))
        .filter((m) => m.via === "openapi" && JSON.stringify(m.body).includes("done late"))
        .map((m) => [m.sender.id, JSON.stringify(m.body).includes("alpha:") ? "alpha" : "gamma"]);
    await expect.poll(late, { timeout: 5000 }).toHaveLength(2);
    expect((await late()).sort()).toEqual(
      [
        [robot.alpha, "alpha"],
        [robot.gamma, "gamma"],
      ].sort(),
    );
    expect(a.delivered && g.delivered).toBe(true);
  });

  it("keeps one bot's crash to itself", async () => {
    const crashed = await say("boom", "alpha");
    expect(crashed.delivered).toBe(false);
    const fine = await say("still there?", "gamma");
    expect(fine.reply).toMatchObject({ text: { content: "gamma: still there?" } });
    const again = await say("and you?", "alpha");
    expect(again.reply).toMatchObject({ text: { content: "alpha: and you?" } });
  });

  it("answers 404 with a short reason for a path no robot has", async () => {
    const response = await fetch(`${server.url}/delta`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "no robot at this path" });
  });
});

describe("Bots over Stream: one connection per app", () => {
  let world: Awaited<ReturnType<typeof startStreamWorld>>;
  let bots: Bots;
  beforeEach(async () => {
    world = await startStreamWorld();
  });
  afterEach(async () => {
    await bots.stop();
    await world.emulator.close();
  });

  it("answers each app's messages by its own bot, and a third app's refused secret stops only that bot", async () => {
    const second = world.emulator.store.createApp({ mode: "stream", name: "第二个机器人" });
    const third = world.emulator.store.createApp({ mode: "stream", name: "第三个机器人" });
    const apps = { one: world.app, two: second };
    bots = new Bots();
    for (const [name, app] of Object.entries(apps)) {
      bots.add(name, namedBot(name, app, world.baseUrl), { appKey: app.appKey, appSecret: app.appSecret });
    }
    bots.add("three", namedBot("three", third, world.baseUrl), {
      appKey: third.appKey,
      appSecret: "wrong-secret",
    });
    const states: string[] = [];
    const start = await bots.startStream({
      baseUrl: world.baseUrl,
      onStateChange: (name, state) => states.push(`${name}:${state}`),
    });
    expect(start.started.sort()).toEqual(["one", "two"]);
    expect(start.failed.map((f) => f.name)).toEqual(["three"]);
    expect(String(start.failed[0]?.error)).not.toContain("wrong-secret");
    expect(states).toContain("three:stopped");

    const user = await post(world.baseUrl, "/_emulator/users", { name: "李四" });
    for (const [name, app] of Object.entries(apps)) {
      const { conversationId, answer } = await sayInNewChat(
        world,
        user.userId as string,
        app.robotCode,
        `hi ${name}`,
      );
      expect(answer).toMatchObject({ delivered: true });
      expect(await onlyReply(world, conversationId, answer.msgId, `${name}'s reply`)).toMatchObject({
        via: "session-webhook",
        sender: { id: app.robotCode },
        body: { text: { content: `${name}: hi ${name}` } },
      });
    }
    const connected = (await (await fetch(`${world.baseUrl}/_emulator/stream/connections`)).json()) as {
      appKey: string;
    }[];
    expect(connected.map((c) => c.appKey).sort()).toEqual([world.app.appKey, second.appKey].sort());
  });
});
