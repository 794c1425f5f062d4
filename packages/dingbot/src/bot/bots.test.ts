import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import type { Logger } from "../logger.js";
import { sign } from "../protocol/signing.js";
import { groupText, T0 } from "./_fixtures.js";
import { Bot } from "./bot.js";
import { Bots, isBots } from "./bots.js";

const SECRET_A = "secret-of-app-a-0123456789abcdefghijklmnopqrstuv";
const SECRET_B = "secret-of-app-b-0123456789abcdefghijklmnopqrstuv";

function memoryLogger(): Logger & { text(): string } {
  const lines: string[] = [];
  const write = (obj: object, msg?: string) => {
    lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  };
  return { text: () => lines.join("\n"), debug: write, info: write, warn: write, error: write };
}

/** A bot that answers "<name>: <text>", and throws on "boom". */
function namedBot(name: string): Bot {
  const bot = new Bot({ now: () => T0 });
  bot.hears("boom", () => {
    throw new Error(`${name} exploded`);
  });
  bot.on("text", (ctx) => ctx.replyText(`${name}: ${ctx.text}`));
  return bot;
}

function callback(path: string, text: string, secret: string): Request {
  return new Request(`http://bots.local${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", timestamp: String(T0), sign: sign(secret, String(T0)) },
    body: JSON.stringify(groupText(text)),
  });
}

function twoBots(options: { sharedPath?: string } = {}): Bots {
  return new Bots()
    .add("a", namedBot("a"), {
      appKey: "dingA",
      appSecret: SECRET_A,
      ...(options.sharedPath ? { path: options.sharedPath } : {}),
    })
    .add("b", namedBot("b"), {
      appKey: "dingB",
      appSecret: SECRET_B,
      ...(options.sharedPath ? { path: options.sharedPath } : {}),
    });
}

describe("Bots over HTTP", () => {
  it("sends each callback to the bot of its path, signed with that bot's secret", async () => {
    const handler = twoBots().httpHandler({ now: () => T0 });
    const a = await handler(callback("/a", "hello", SECRET_A));
    const b = await handler(callback("/b/", "hello", SECRET_B));
    expect(await a.json()).toMatchObject({ text: { content: "a: hello" } });
    expect(await b.json()).toMatchObject({ text: { content: "b: hello" } });
    // Another app's signature on this path is refused as by the single-bot transport.
    expect((await handler(callback("/a", "hello", SECRET_B))).status).toBe(403);
  });

  it("answers 404 with a short reason for a path no bot has, and 200 on /healthz", async () => {
    const logger = memoryLogger();
    const handler = twoBots().httpHandler({ now: () => T0, logger });
    const unknown = await handler(callback("/c", "hello", SECRET_A));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "no robot at this path" });
    expect((await handler(new Request("http://bots.local/healthz"))).status).toBe(200);
    expect(logger.text()).toContain('"reason":"path"');
    expect(logger.text()).not.toContain(SECRET_A);
  });

  it("keeps one bot's crash to itself: 500 for it, the other still answers", async () => {
    const handler = twoBots().httpHandler({ now: () => T0 });
    expect((await handler(callback("/a", "boom", SECRET_A))).status).toBe(500);
    const b = await handler(callback("/b", "still there?", SECRET_B));
    expect(await b.json()).toMatchObject({ text: { content: "b: still there?" } });
  });

  it("on a shared path, lets the signature choose the bot (before the body is read)", async () => {
    const handler = twoBots({ sharedPath: "/dd_robot" }).httpHandler({ now: () => T0 });
    const a = await handler(callback("/dd_robot", "x", SECRET_A));
    const b = await handler(callback("/dd_robot", "y", SECRET_B));
    expect(await a.json()).toMatchObject({ text: { content: "a: x" } });
    expect(await b.json()).toMatchObject({ text: { content: "b: y" } });
    const stranger = await handler(callback("/dd_robot", "z", "not-a-secret-of-ours"));
    expect(stranger.status).toBe(403);
  });

  it("serves the same routes through listen() on one node:http port", async () => {
    const server = await twoBots().listen(0, "127.0.0.1", { now: () => T0 });
    try {
      const post = async (path: string, secret: string) => {
        const response = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { timestamp: String(T0), sign: sign(secret, String(T0)) },
          body: JSON.stringify(groupText("hi")),
        });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      };
      expect((await post("/a", SECRET_A)).json).toMatchObject({ text: { content: "a: hi" } });
      expect((await post("/b", SECRET_B)).json).toMatchObject({ text: { content: "b: hi" } });
      expect(await post("/nobody", SECRET_A)).toEqual({
        status: 404,
        json: { error: "no robot at this path" },
      });
      // A stranger's body on an unknown path is never collected: the 404 comes while it is still sending.
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.url}/nobody`, { method: "POST" }, (res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
          req.destroy();
        });
        req.on("error", reject);
        req.write("x".repeat(1024));
      });
      expect(status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("refuses what it cannot serve, naming the bot", () => {
    const bots = new Bots();
    expect(() => bots.httpHandler()).toThrow(/no bots/);
    expect(() => bots.add("bad name", new Bot())).toThrow(/letters, digits/);
    bots.add("a", new Bot());
    expect(() => bots.add("a", new Bot())).toThrow(/already a bot named "a"/);
    expect(() => bots.httpHandler()).toThrow(/bot a has no appSecret/);
    const shared = new Bots()
      .add("a", new Bot(), { appSecret: SECRET_A, path: "/" })
      .add("b", new Bot(), { appSecret: SECRET_A, path: "/" });
    expect(() => shared.httpHandler()).toThrow(/share path \/ and their appSecret/);
    expect(() =>
      new Bots()
        .add("a", new Bot(), { appSecret: SECRET_A, cardApiSecret: "card" })
        .add("b", new Bot(), { appSecret: SECRET_B, path: "/a/card-callback" }),
    ).toThrow(/card path of bot a/);
  });

  it("gives each bot its own credentials, and is recognised across copies by its brand", () => {
    const bots = twoBots();
    expect(bots.size).toBe(2);
    expect(bots.entries().map((e) => [e.name, e.path, e.appKey])).toEqual([
      ["a", "/a", "dingA"],
      ["b", "/b", "dingB"],
    ]);
    expect(isBots(bots)).toBe(true);
    expect(isBots({ entries: () => [] })).toBe(false);
    expect(isBots(new Bot())).toBe(false);
  });
});

describe("Bots over Stream", () => {
  it("refuses to start a bot without its appKey, before anything connects", async () => {
    const bots = new Bots().add("a", new Bot(), { appSecret: SECRET_A });
    await expect(bots.startStream()).rejects.toThrow(/bot a needs its appKey and appSecret/);
  });
});
