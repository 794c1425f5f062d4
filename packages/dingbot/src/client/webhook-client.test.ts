import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ApiError,
  AuthError,
  HttpError,
  RateLimitedError,
  RequestError,
  ValidationError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import { messages } from "../protocol/outbound/messages.js";
import { verifySignature } from "../protocol/signing.js";
import { RateLimiter } from "./rate-limiter.js";
import { WebhookClient } from "./webhook-client.js";

const TOKEN = "a64487796eb55203949dfb7cbcd5f4cefa30ad718f2069f18bd155f5ae846784";
const SECRET = "SEC4c4262656fe9585e82ed9004f3688d0ff1257aee8e79de3c1c896db7d2b3f30d";

interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A stand-in for DingTalk on a real loopback socket: records requests, answers from a script. */
let server: Server;
let base: string;
const received: Received[] = [];
let answer: (request: Received) => { status?: number; body: string } | "hang" = () => ({
  body: '{"errcode":0,"errmsg":"ok"}',
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: new URL(req.url ?? "/", base),
        headers: req.headers,
        body,
      };
      received.push(request);
      const reply = answer(request);
      if (reply === "hang") return;
      res.writeHead(reply.status ?? 200, { "content-type": "application/json" }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  answer = () => ({ body: '{"errcode":0,"errmsg":"ok"}' });
});

/** A clock that moves only when someone sleeps. */
function fakeClock() {
  const clock = {
    t: 1_700_000_000_000,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

const webhook = () => `${base}/robot/send?access_token=${TOKEN}`;

/** A client with a fresh fake clock (so its limiter is its own) and no jitter. */
function client(options: Partial<ConstructorParameters<typeof WebhookClient>[0]> = {}) {
  const clock = fakeClock();
  const robot = new WebhookClient({
    url: webhook(),
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    env: {},
    ...options,
  });
  return { robot, clock };
}

describe("WebhookClient", () => {
  it("posts the message as UTF-8 JSON and resolves with errcode 0", async () => {
    const { robot } = client();
    const result = await robot.send(messages.text("构建完成"));
    expect(result).toEqual({ errcode: 0, errmsg: "ok", parts: 1, attempts: 1 });
    expect(received).toHaveLength(1);
    expect(received[0]?.method).toBe("POST");
    expect(received[0]?.url.pathname).toBe("/robot/send");
    expect(received[0]?.url.searchParams.get("access_token")).toBe(TOKEN);
    expect(received[0]?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({ msgtype: "text", text: { content: "构建完成" } });
  });

  it("signs every request afresh with the current timestamp", async () => {
    const { robot, clock } = client({ secret: SECRET });
    await robot.sendText("one");
    clock.t += 5000;
    await robot.sendText("two");
    const stamps = received.map((r) => r.url.searchParams.get("timestamp"));
    expect(stamps).toEqual([String(clock.t - 5000), String(clock.t)]);
    for (const r of received) {
      const check = verifySignature(
        SECRET,
        r.url.searchParams.get("timestamp"),
        r.url.searchParams.get("sign"),
        clock.t,
      );
      expect(check).toEqual({ ok: true });
    }
  });

  it("sends no timestamp or sign without a secret", async () => {
    const { robot } = client();
    await robot.sendText("plain");
    expect(received[0]?.url.searchParams.has("sign")).toBe(false);
    expect(received[0]?.url.searchParams.has("timestamp")).toBe(false);
  });

  it("has markdown and mention conveniences", async () => {
    const { robot } = client();
    await robot.sendMarkdown("告警", "### down", { at: { atMobiles: ["13800000000"] } });
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({
      msgtype: "markdown",
      markdown: { title: "告警", text: "### down\n@13800000000" },
      at: { atMobiles: ["13800000000"] },
    });
  });

  describe("validation before sending", () => {
    it("refuses a body that fails the schema, naming the field", async () => {
      const { robot } = client();
      const bad = { msgtype: "link", link: { title: "t", text: "x" } } as never;
      await expect(robot.send(bad)).rejects.toThrow(/link\.messageUrl/);
      await expect(robot.send(bad)).rejects.toBeInstanceOf(ValidationError);
      expect(received).toHaveLength(0);
    });

    it("refuses a body over 20000 bytes, counted in UTF-8", async () => {
      const { robot } = client();
      // 6700 CJK characters are 20100 bytes but only 6700 UTF-16 units.
      await expect(robot.sendText("告".repeat(6700))).rejects.toThrow(/20000/);
      expect(received).toHaveLength(0);
      await robot.sendText("告".repeat(6600));
      expect(received).toHaveLength(1);
    });

    it("names each refusal with a SchemaIssue code, so programs need not match on sentences", async () => {
      const codeOf = (error: unknown) => (error as ValidationError).issues.map((issue) => issue.code);
      const bad = { msgtype: "link", link: { title: "t", text: "x" } } as never;
      expect(
        codeOf(
          await client()
            .robot.send(bad)
            .catch((e) => e),
        ),
      ).toEqual(["schema"]);
      expect(
        codeOf(
          await client()
            .robot.sendText("告".repeat(6700))
            .catch((e) => e),
        ),
      ).toEqual(["too-large"]);
      const strict = client({ keywords: ["告警"] }).robot;
      expect(codeOf(await strict.sendText("all good").catch((e) => e))).toEqual(["no-keyword"]);
      expect(received).toHaveLength(0);
    });

    it("refuses a message without one of the robot's keywords", async () => {
      const { robot } = client({ keywords: ["告警", "alert"] });
      await expect(robot.sendText("all good")).rejects.toThrow(/keywords.*"告警"/);
      expect(received).toHaveLength(0);
      await robot.sendText("alert: disk full");
      expect(received).toHaveLength(1);
    });

    it("injects the first keyword when asked to", async () => {
      const { robot } = client({ keywords: ["告警"], injectKeyword: true });
      await robot.sendText("disk full");
      await robot.send(messages.feedCard([{ title: "doc", messageURL: "https://e.com", picURL: "" }]));
      expect(JSON.parse(received[0]?.body ?? "").text.content).toBe("disk full\n告警");
      expect(JSON.parse(received[1]?.body ?? "").feedCard.links[0].title).toBe("doc 告警");
    });

    it("refuses unusable URLs", () => {
      expect(() => new WebhookClient({ url: "not a url" })).toThrow(ValidationError);
      expect(() => new WebhookClient({ url: `${base}/robot/send` })).toThrow(/access_token/);
      expect(() => new WebhookClient({ url: webhook(), baseUrl: "ftp://x" })).toThrow(ValidationError);
    });
  });

  describe("errcode mapping", () => {
    it("throws AuthError with errcode, errmsg and hint for 310000, and never the token or secret", async () => {
      answer = () => ({ body: '{"errcode":310000,"errmsg":"keywords not in content"}' });
      const logs: string[] = [];
      const record = (obj: object, msg?: string) => void logs.push(JSON.stringify(obj), msg ?? "");
      const logger: Logger = { debug: record, info: record, warn: record, error: record };
      const { robot } = client({ secret: SECRET, logger });
      const error = await robot.sendText("hello").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      const auth = error as AuthError;
      expect(auth.errcode).toBe(310000);
      expect(auth.errmsg).toBe("keywords not in content");
      expect(auth.kind).toBe("config");
      expect(auth.hint).toMatch(/keyword/);
      const everything = [auth.message, auth.stack, JSON.stringify(auth), ...logs].join("\n");
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(received[0]?.url.searchParams.get("sign") ?? "unreachable");
      expect(logs.length).toBeGreaterThan(0);
    });

    it("builds no debug line for a logger whose level is above debug (pino's isLevelEnabled)", async () => {
      answer = () => ({ body: '{"errcode":0,"errmsg":"ok"}' });
      let level = "info";
      const debug: string[] = [];
      const logger = {
        debug: (_o: object, msg?: string) => void debug.push(msg ?? ""),
        info() {},
        warn() {},
        error() {},
        isLevelEnabled: (wanted: string) => wanted !== "debug" || level === "debug",
      };
      const { robot } = client({ secret: SECRET, logger });
      await robot.sendText("hello");
      expect(debug).toEqual([]);
      level = "debug";
      await robot.sendText("hello");
      expect(debug).toEqual(["posting robot message", "answered"]);
    });

    it("does not retry permanent errors", async () => {
      answer = () => ({ body: '{"errcode":300005,"errmsg":"token is not exist"}' });
      const { robot } = client();
      await expect(robot.sendText("x")).rejects.toBeInstanceOf(AuthError);
      expect(received).toHaveLength(1);
    });

    it("turns a non-JSON answer into HttpError", async () => {
      answer = () => ({ status: 502, body: "<html>bad gateway</html>" });
      const { robot } = client();
      const error = await robot.sendText("x").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(502);
    });

    it("turns an answer without errcode into HttpError", async () => {
      answer = () => ({ body: '{"hello":1}' });
      const { robot } = client();
      await expect(robot.sendText("x")).rejects.toBeInstanceOf(HttpError);
    });
  });

  describe("retries", () => {
    it("retries errcode -1 with backoff and succeeds", async () => {
      // answer() runs after the request is recorded, so received.length counts this attempt.
      answer = () =>
        received.length < 3
          ? { body: '{"errcode":-1,"errmsg":"系统繁忙"}' }
          : { body: '{"errcode":0,"errmsg":"ok"}' };
      const { robot, clock } = client();
      const result = await robot.sendText("x");
      expect(result.attempts).toBe(3);
      expect(clock.sleeps).toEqual([250, 500]);
    });

    it("gives up after the configured retries", async () => {
      answer = () => ({ body: '{"errcode":-1,"errmsg":"系统繁忙"}' });
      const { robot } = client({ retries: 1 });
      await expect(robot.sendText("x")).rejects.toBeInstanceOf(ApiError);
      expect(received).toHaveLength(2);
    });

    it("makes one request with retries: 0", async () => {
      answer = () => ({ body: '{"errcode":-1,"errmsg":"系统繁忙"}' });
      const { robot } = client({ retries: 0 });
      await expect(robot.sendText("x")).rejects.toBeInstanceOf(ApiError);
      expect(received).toHaveLength(1);
    });

    it("waits out the rate window after a rate-limit answer, then retries", async () => {
      answer = () =>
        received.length === 1
          ? { body: '{"errcode":410100,"errmsg":"发送速度太快而限流"}' }
          : { body: '{"errcode":0,"errmsg":"ok"}' };
      const { robot, clock } = client();
      const start = clock.t;
      await robot.sendText("x");
      expect(received).toHaveLength(2);
      expect(clock.t - start).toBeGreaterThanOrEqual(60_000);
    });

    it("throws RateLimitedError with retryAfterMs when it may not wait", async () => {
      answer = () => ({ body: '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}' });
      const { robot } = client({ retries: { retryRateLimited: false } });
      const error = await robot.sendText("x").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterMs).toBe(60_000);
      expect((error as RateLimitedError).kind).toBe("rate-limit");
      expect(received).toHaveLength(1);
    });

    it("retries a refused connection (nothing was sent), through the injected fetch", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      let fetches = 0;
      const counting: typeof fetch = (input, init) => {
        fetches += 1;
        return fetch(input, init);
      };
      const { robot } = client({
        url: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`,
        fetch: counting,
      });
      const error = await robot.sendText("x").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestError);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect((error as Error).message).not.toContain(TOKEN);
      expect(fetches).toBe(3);
    });

    it("retries a refused connection with the default node:http transport too", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      let posts = 0;
      const logger: Logger = {
        debug: (_o, msg) => void (msg === "posting robot message" && posts++),
        info() {},
        warn() {},
        error() {},
      };
      const { robot } = client({ url: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`, logger });
      await expect(robot.sendText("x")).rejects.toThrow(/ECONNREFUSED/);
      expect(posts).toBe(3);
    });

    it("does not retry a timeout: DingTalk may have posted the message", async () => {
      answer = () => "hang";
      const { robot } = client({ timeoutMs: 150 });
      await expect(robot.sendText("x")).rejects.toThrow(/no answer within 150 ms/);
      expect(received).toHaveLength(1);
    });
  });

  describe("rate limiter", () => {
    it("queues a burst so no more than `limit` requests start per window", async () => {
      const { robot, clock } = client({ rateLimit: { limit: 2, windowMs: 1000 } });
      const start = clock.t;
      await Promise.all([1, 2, 3, 4, 5].map((n) => robot.sendText(`m${n}`)));
      expect(received).toHaveLength(5);
      expect(clock.t - start).toBe(2000);
    });

    it("shares one budget between clients of the same robot", async () => {
      const clock = fakeClock();
      const make = () =>
        new WebhookClient({
          url: webhook(),
          now: clock.now,
          sleep: clock.sleep,
          env: {},
          rateLimit: { limit: 1, windowMs: 500 },
        });
      await make().sendText("a");
      await make().sendText("b");
      expect(clock.sleeps).toEqual([500]);
    });

    it("accepts a limiter of the caller's own", async () => {
      const clock = fakeClock();
      const limiter = new RateLimiter({ limit: 1, windowMs: 700 }, clock);
      const robot = new WebhookClient({
        url: webhook(),
        now: clock.now,
        sleep: clock.sleep,
        env: {},
        rateLimit: limiter,
      });
      await robot.sendText("a");
      await robot.sendText("b");
      expect(clock.sleeps).toEqual([700]);
    });

    it("never waits with rateLimit: false", async () => {
      const { robot, clock } = client({ rateLimit: false });
      for (let i = 0; i < 30; i += 1) await robot.sendText(`m${i}`);
      expect(received).toHaveLength(30);
      expect(clock.sleeps).toEqual([]);
    });
  });

  describe("splitting", () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `第${i}段：${"内容".repeat(20)}`).join("\n\n");

    it("splits long text into several messages that concatenate to the original", async () => {
      const { robot } = client({ split: { maxBytes: 600 }, rateLimit: false });
      const result = await robot.sendText(paragraphs, { at: { atMobiles: ["13800000000"] } });
      expect(result.parts).toBeGreaterThan(3);
      expect(received).toHaveLength(result.parts);
      const bodies = received.map((r) => JSON.parse(r.body));
      for (const r of received) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(600);
      expect(bodies.map((b) => b.text.content).join("")).toBe(`${paragraphs}\n@13800000000`);
      // Mentions ride on the last part only, so nobody is pinged once per part.
      expect(bodies.filter((b) => b.at)).toHaveLength(1);
      expect(bodies.at(-1).at).toEqual({ atMobiles: ["13800000000"] });
    });

    it("numbers the titles of markdown parts", async () => {
      const { robot } = client({ split: { maxBytes: 800 }, rateLimit: false });
      const result = await robot.sendMarkdown("日报", paragraphs);
      const titles = received.map((r) => JSON.parse(r.body).markdown.title);
      expect(titles[0]).toBe(`日报 (1/${result.parts})`);
    });

    it("checks the keyword in every part, and injects it into each part that lacks it", async () => {
      const text = `告警\n\n${paragraphs}`;
      const strict = client({ split: { maxBytes: 600 }, rateLimit: false, keywords: ["告警"] }).robot;
      await expect(strict.sendText(text)).rejects.toThrow(/none of the robot's keywords/);
      expect(received).toHaveLength(0);
      const lenient = client({
        split: { maxBytes: 600 },
        rateLimit: false,
        keywords: ["告警"],
        injectKeyword: true,
      });
      const result = await lenient.robot.sendText(text);
      expect(received).toHaveLength(result.parts);
      for (const r of received) {
        expect(JSON.parse(r.body).text.content).toContain("告警");
        expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(600);
      }
    });

    it("prepare() returns the exact bodies without sending", () => {
      const { robot } = client({ split: true });
      const parts = robot.prepare(messages.text("x".repeat(45_000)));
      expect(parts.length).toBe(3);
      expect(received).toHaveLength(0);
    });
  });

  describe("base URL", () => {
    it("rebases a DingTalk webhook onto baseUrl", async () => {
      const robot = new WebhookClient({
        url: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`,
        baseUrl: base,
        env: {},
      });
      await robot.sendText("x");
      expect(received[0]?.url.searchParams.get("access_token")).toBe(TOKEN);
    });

    it("reads DINGTALK_BASE_URL when no baseUrl is given", async () => {
      const robot = new WebhookClient({
        url: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`,
        env: { DINGTALK_BASE_URL: base },
      });
      await robot.sendText("x");
      expect(received).toHaveLength(1);
    });
  });
});
