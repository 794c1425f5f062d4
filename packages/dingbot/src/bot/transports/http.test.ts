import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../../logger.js";
import { sign } from "../../protocol/signing.js";
import { groupText, type SessionServer, startSessionServer, T0 } from "../_fixtures.js";
import { Bot } from "../bot.js";
import { httpTransport } from "./http.js";
import { toNodeListener } from "./http-node.js";

const SECRET = "teTLGS3xZVLp6Z99mXvgVpINOUyJqFsKJ3jLb7crFdjRsJ3_77E-kxhlIbBGbNjX";
const HOUR = 3_600_000;

function memoryLogger(): Logger & { text(): string } {
  const lines: string[] = [];
  const write = (obj: object, msg?: string) => {
    lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  };
  return { text: () => lines.join("\n"), debug: write, info: write, warn: write, error: write };
}

interface Setup {
  bot: Bot;
  calls: string[];
  logger: ReturnType<typeof memoryLogger>;
  handler: ReturnType<typeof httpTransport>;
}

/** An echo bot behind the transport, with a fixed clock at T0. */
function setup(
  options: { timeoutMs?: number; maxBodyBytes?: number; path?: string; requestTimeoutMs?: number } = {},
): Setup {
  const logger = memoryLogger();
  const bot = new Bot({ now: () => T0, logger });
  const calls: string[] = [];
  bot.use(async (ctx, next) => {
    calls.push(ctx.msgId);
    await next();
  });
  bot.hears("boom", () => {
    throw new Error(`exploded, secret ${SECRET}`);
  });
  bot.hears("ping", (ctx) => ctx.replyText("pong"));
  const handler = httpTransport(bot, { appSecret: SECRET, now: () => T0, logger, ...options });
  return { bot, calls, logger, handler };
}

interface RequestOptions {
  secret?: string;
  timestamp?: string | null;
  sign?: string | null;
  method?: string;
  path?: string;
  body?: BodyInit | null;
  headers?: Record<string, string>;
}

function callback(message: unknown, options: RequestOptions = {}): Request {
  const timestamp = options.timestamp === undefined ? String(T0) : options.timestamp;
  const signature =
    options.sign === undefined ? sign(options.secret ?? SECRET, timestamp ?? "") : options.sign;
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    ...options.headers,
  };
  if (timestamp !== null) headers.timestamp = timestamp;
  if (signature !== null) headers.sign = signature;
  const method = options.method ?? "POST";
  return new Request(`http://bot.local${options.path ?? "/"}`, {
    method,
    headers,
    ...(method === "GET" || method === "HEAD"
      ? {}
      : { body: options.body === undefined ? JSON.stringify(message) : options.body }),
  });
}

describe("httpTransport()", () => {
  describe("accepts", () => {
    it("a correctly signed callback and answers the first reply inline", async () => {
      const { handler, calls } = setup();
      const response = await handler(callback(groupText("ping")));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(await response.json()).toEqual({ msgtype: "text", text: { content: "pong" } });
      expect(calls).toHaveLength(1);
    });

    it("a timestamp exactly one hour away in either direction", async () => {
      const { handler } = setup();
      for (const ts of [T0 - HOUR, T0 + HOUR]) {
        const response = await handler(callback(groupText("ping"), { timestamp: String(ts) }));
        expect(response.status).toBe(200);
      }
    });

    it("the configured path with or without a trailing slash, and answers empty when nothing matched", async () => {
      const { handler } = setup({ path: "/dd_robot/" });
      const a = await handler(callback(groupText("hello"), { path: "/dd_robot/" }));
      const b = await handler(callback(groupText("hello"), { path: "/dd_robot?x=1" }));
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(await a.json()).toEqual({ msgtype: "empty" });
    });
    it("a msgtype dingbot does not know: delivered to the handlers as `unknown`, answered 200, logged once", async () => {
      const { bot, handler, logger } = setup();
      const seen: string[] = [];
      bot.on("unknown", (ctx) => {
        if (ctx.message.msgtype === "unknown") seen.push(ctx.message.originalMsgtype);
        return ctx.replyText("got it");
      });
      for (const id of ["a", "b"]) {
        const body = {
          ...groupText("x", { msgId: `msgUnknown${id}` }),
          msgtype: "location",
          content: { x: 1 },
        };
        const response = await handler(callback(body));
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ msgtype: "text", text: { content: "got it" } });
      }
      expect(seen).toEqual(["location", "location"]);
      expect(logger.text().match(/msgtype dingbot does not know/g)).toHaveLength(1);
    });
  });

  describe("rejects, without calling the bot,", () => {
    const cases: Array<[string, RequestOptions, number]> = [
      ["a stale timestamp (more than an hour old)", { timestamp: String(T0 - HOUR - 1) }, 403],
      ["a future timestamp (more than an hour ahead)", { timestamp: String(T0 + HOUR + 1) }, 403],
      ["a wrong signature", { sign: sign(SECRET, T0 + 1) }, 403],
      ["a signature made with another secret", { secret: "not-the-app-secret" }, 403],
      ["a missing timestamp header", { timestamp: null }, 401],
      ["a missing sign header", { sign: null }, 401],
      ["a garbled timestamp", { timestamp: "12ab" }, 403],
      ["a garbled sign", { sign: "%%%not base64%%%" }, 403],
      ["a truncated sign", { sign: sign(SECRET, T0).slice(0, 20) }, 403],
      ["malformed JSON", { body: '{"msgtype": "text",' }, 400],
      ["JSON that is not a robot message", { body: '{"msgtype":"text","text":{"content":"x"}}' }, 400],
      ["a JSON array", { body: "[]" }, 400],
      ["JSON nested deeper than 64 levels", { body: `${"[".repeat(500)}${"]".repeat(500)}` }, 400],
      [
        "a message with a field nested deeper than 64 levels",
        {
          body: JSON.stringify({
            ...groupText("ping"),
            extra: JSON.parse(`${"[".repeat(100)}${"]".repeat(100)}`),
          }),
        },
        400,
      ],
      ["an empty body", { body: "" }, 400],
      ["an oversized body", { body: "x".repeat(2000) }, 413],
      ["a GET", { method: "GET" }, 405],
      ["a PUT", { method: "PUT" }, 405],
      ["another path", { path: "/other" }, 404],
    ];
    it.each(cases)("%s", async (_name, options, status) => {
      const { handler, calls } = setup({ maxBodyBytes: 1000 });
      const response = await handler(callback(groupText("ping"), options));
      expect(response.status).toBe(status);
      const body = (await response.json()) as { error: string };
      expect(body.error.length).toBeGreaterThan(0);
      expect(body.error.length).toBeLessThan(200);
      expect(calls).toEqual([]);
    });

    it("a 405 names the allowed method", async () => {
      const { handler } = setup();
      const response = await handler(callback(null, { method: "GET" }));
      expect(response.headers.get("allow")).toBe("POST");
    });

    it("an oversized streamed body without content-length", async () => {
      const { handler, calls } = setup({ maxBodyBytes: 1000 });
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += 1;
          // Endless: the transport has to stop reading by itself.
          controller.enqueue(new Uint8Array(512));
        },
      });
      const request = new Request("http://bot.local/", {
        method: "POST",
        headers: { timestamp: String(T0), sign: sign(SECRET, T0) },
        body: stream,
        duplex: "half",
      } as RequestInit);
      const response = await handler(request);
      expect(response.status).toBe(413);
      expect(pulled).toBeLessThan(10);
      expect(calls).toEqual([]);
    });
  });

  it("answers a readiness probe on GET /healthz with 200 and logs nothing, whatever the callback path", async () => {
    const { handler, calls, logger } = setup({ path: "/dingtalk" });
    const response = await handler(new Request("http://bot.local/healthz"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(calls).toEqual([]);
    expect(logger.text()).toBe("");
    // Only GET and HEAD: a POST there is still a refused callback.
    expect((await handler(callback({}, { path: "/healthz" }))).status).toBe(404);
  });

  it("lets a repeated msgId (DingTalk's retry) reach the handlers once", async () => {
    const { handler, calls } = setup();
    const message = groupText("ping");
    const first = await handler(callback(message));
    const second = await handler(callback(message));
    expect(await first.json()).toEqual({ msgtype: "text", text: { content: "pong" } });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ msgtype: "empty" });
    expect(calls).toEqual([message.msgId]);
  });

  it("answers 500 when a handler throws, calls bot.catch, logs without secrets, and keeps serving", async () => {
    const { handler, bot, logger } = setup();
    const caught: string[] = [];
    bot.catch((error) => {
      caught.push((error.error as Error).message.slice(0, 9));
    });
    const failed = await handler(callback(groupText("boom")));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: "handler failed" });
    expect(caught).toEqual(["exploded,"]);
    const next = await handler(callback(groupText("ping")));
    expect(next.status).toBe(200);
    const logs = logger.text();
    expect(logs).toContain('"outcome":"error"');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(sign(SECRET, T0));
    expect(logs).not.toContain("session=");
  });

  it("runs the handlers again when DingTalk retries a message whose handling failed", async () => {
    const { handler, calls } = setup();
    const message = groupText("boom");
    expect((await handler(callback(message))).status).toBe(500);
    expect((await handler(callback(message))).status).toBe(500);
    expect(calls).toEqual([message.msgId, message.msgId]);
  });

  describe("a replayed timestamp/sign pair", () => {
    /** An echo bot on a clock the test moves. */
    function clocked(options: { replay?: false | { maxEntries?: number } } = {}) {
      let now = T0;
      const logger = memoryLogger();
      const bot = new Bot({ now: () => now, logger });
      const calls: string[] = [];
      bot.use((ctx) => {
        calls.push(ctx.msgId);
      });
      const handler = httpTransport(bot, { appSecret: SECRET, now: () => now, logger, ...options });
      return { handler, calls, logger, advance: (ms: number) => (now += ms) };
    }

    it("is refused with another msgId, 403 with a short reason, and the bot is not called", async () => {
      const { handler, calls, logger, advance } = clocked();
      expect((await handler(callback(groupText("first")))).status).toBe(200);
      advance(60_000);
      const replayed = await handler(callback(groupText("injected")));
      expect(replayed.status).toBe(403);
      expect(await replayed.json()).toEqual({
        error: "timestamp and sign were already used for another message",
      });
      expect(calls).toHaveLength(1);
      expect(logger.text()).toContain('"reason":"replay"');
      // A fresh signature still works.
      const fresh = await handler(callback(groupText("next"), { timestamp: String(T0 + 60_000) }));
      expect(fresh.status).toBe(200);
      expect(calls).toHaveLength(2);
    });

    it("still lets DingTalk retry the same msgId with the same headers (answered by the msgId dedupe)", async () => {
      const { handler, calls, advance } = clocked();
      const message = groupText("retry me");
      expect((await handler(callback(message))).status).toBe(200);
      advance(3000);
      const retry = await handler(callback(message));
      expect(retry.status).toBe(200);
      expect(await retry.json()).toEqual({ msgtype: "empty" });
      expect(calls).toEqual([message.msgId]);
    });

    it("refuses the same msgId with the same headers once the retry window is over", async () => {
      const { handler, advance } = clocked();
      const message = groupText("captured");
      expect((await handler(callback(message))).status).toBe(200);
      advance(11 * 60_000);
      expect((await handler(callback(message))).status).toBe(403);
    });

    it("lets several messages signed in the same millisecond through", async () => {
      const { handler, calls, advance } = clocked();
      const answers = await Promise.all([1, 2, 3].map((n) => handler(callback(groupText(`same ms ${n}`)))));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      advance(5);
      expect((await handler(callback(groupText("same ms 4")))).status).toBe(200);
      expect(calls).toHaveLength(4);
    });

    it("is let through with replay: false", async () => {
      const { handler, calls, advance } = clocked({ replay: false });
      await handler(callback(groupText("first")));
      advance(60_000);
      expect((await handler(callback(groupText("again")))).status).toBe(200);
      expect(calls).toHaveLength(2);
    });
  });

  describe("with a slow handler", () => {
    let session: SessionServer;
    beforeEach(async () => {
      session = await startSessionServer();
    });
    afterEach(async () => {
      await session.close();
    });

    it("answers empty after timeoutMs and delivers the late reply through the sessionWebhook", async () => {
      const logger = memoryLogger();
      const bot = new Bot({ now: () => T0, logger });
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const delivered = new Promise<unknown>((resolve) => {
        bot.use(async (ctx) => {
          await released;
          resolve(await ctx.replyMarkdown("late", "**done**"));
        });
      });
      const handler = httpTransport(bot, { appSecret: SECRET, now: () => T0, timeoutMs: 50, logger });
      const response = await handler(callback(groupText("slow", { sessionWebhook: session.webhook })));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ msgtype: "empty" });
      release();
      expect(await delivered).toEqual({ via: "session-webhook" });
      expect(session.received).toEqual([
        { msgtype: "markdown", markdown: { title: "late", text: "**done**" } },
      ]);
      expect(logger.text()).toContain('"outcome":"timeout"');
    });

    it("answers inline as soon as the handler replies, while it keeps working", async () => {
      const bot = new Bot({ now: () => T0 });
      let finish!: () => void;
      bot.use(async (ctx) => {
        await ctx.replyText("first");
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        await ctx.replyText("second");
      });
      const handler = httpTransport(bot, { appSecret: SECRET, now: () => T0, timeoutMs: 60_000 });
      const response = await handler(callback(groupText("x", { sessionWebhook: session.webhook })));
      expect(await response.json()).toEqual({ msgtype: "text", text: { content: "first" } });
      finish();
      await expect.poll(() => session.received).toEqual([{ msgtype: "text", text: { content: "second" } }]);
    });
  });

  it("refuses to be built without an appSecret or with a bad limit", () => {
    const bot = new Bot();
    expect(() => httpTransport(bot, { appSecret: "" })).toThrow(TypeError);
    expect(() => httpTransport(bot, { appSecret: SECRET, timeoutMs: 0 })).toThrow(TypeError);
    expect(() => httpTransport(bot, { appSecret: SECRET, maxBodyBytes: -1 })).toThrow(TypeError);
    expect(() => httpTransport(bot, { appSecret: SECRET, path: "nope" })).toThrow(TypeError);
  });
});

describe("toNodeListener()", () => {
  async function serve(
    listener: ReturnType<typeof toNodeListener>,
  ): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  it("serves the transport on node:http", async () => {
    const { handler } = setup();
    const server = await serve(toNodeListener(handler));
    try {
      const ok = await fetch(`${server.url}/`, {
        method: "POST",
        headers: { timestamp: String(T0), sign: sign(SECRET, T0) },
        body: JSON.stringify(groupText("ping")),
      });
      expect(await ok.json()).toEqual({ msgtype: "text", text: { content: "pong" } });
      const bad = await fetch(`${server.url}/`, { method: "POST", body: "{}" });
      expect(bad.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it("stops reading an oversized chunked body, answers 413, and keeps serving", async () => {
    const { handler, calls } = setup({ maxBodyBytes: 1000 });
    const server = await serve(toNodeListener(handler));
    try {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 64; i++) controller.enqueue(new Uint8Array(1024));
          controller.close();
        },
      });
      const response = await fetch(`${server.url}/`, {
        method: "POST",
        headers: { timestamp: String(T0), sign: sign(SECRET, T0) },
        body,
        duplex: "half",
      } as RequestInit).catch(() => undefined);
      // The server may close the socket before the client finishes sending; either way nothing reached the bot.
      if (response) expect(response.status).toBe(413);
      expect(calls).toEqual([]);
      const after = await fetch(`${server.url}/`, {
        method: "POST",
        headers: { timestamp: String(T0), sign: sign(SECRET, T0) },
        body: JSON.stringify(groupText("ping")),
      });
      expect(after.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("reads a body sent in several chunks whole, and sends the 405's allow header", async () => {
    const { handler } = setup();
    const server = await serve(toNodeListener(handler));
    try {
      const text = new TextEncoder().encode(JSON.stringify(groupText("ping")));
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          // Separate writes with pauses between them arrive as separate 'data' chunks.
          for (let at = 0; at < text.length; at += 40) {
            controller.enqueue(text.slice(at, at + 40));
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          controller.close();
        },
      });
      const ok = await fetch(`${server.url}/`, {
        method: "POST",
        headers: { timestamp: String(T0), sign: sign(SECRET, T0) },
        body,
        duplex: "half",
      } as RequestInit);
      expect(await ok.json()).toEqual({ msgtype: "text", text: { content: "pong" } });
      const get = await fetch(`${server.url}/`);
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect(get.headers.get("content-type")).toBe("application/json; charset=utf-8");
    } finally {
      await server.close();
    }
  });

  it("joins a repeated sign header, so two signatures never pass", async () => {
    const { handler, calls } = setup();
    const server = await serve(toNodeListener(handler));
    try {
      const { request } = await import("node:http");
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(`${server.url}/`, { method: "POST" }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on("error", reject);
        req.setHeader("timestamp", String(T0));
        req.setHeader("sign", [sign(SECRET, T0), sign(SECRET, T0)]);
        req.end(JSON.stringify(groupText("ping")));
      });
      expect(status).toBe(403);
      expect(calls).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("bridges any other Web handler", async () => {
    const server = await serve(
      toNodeListener(
        async (request) =>
          new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`),
      ),
    );
    try {
      const response = await fetch(`${server.url}/x?y=1`, { method: "POST", body: "hi" });
      expect(await response.text()).toBe("POST /x hi");
    } finally {
      await server.close();
    }
  });
});

/**
 * Uploads `total` bytes over a raw socket the way many clients do (Python's http.client, requests): the whole
 * body first, reading the answer only afterwards. Resolves with the answer's status line and body, or rejects
 * with the socket error when the server reset the connection before the client could read its answer.
 */
async function upload(
  url: string,
  total: number,
  options: { declareLength: boolean; headers?: Record<string, string> },
): Promise<{ status: number | undefined; body: string }> {
  const { connect } = await import("node:net");
  const { port } = new URL(url);
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    timestamp: String(T0),
    sign: sign(SECRET, T0),
    ...(options.declareLength ? { "content-length": String(total) } : { "transfer-encoding": "chunked" }),
    ...options.headers,
  };
  const head = `POST / HTTP/1.1\r\n${Object.entries(headers)
    .map(([key, value]) => `${key}: ${value}\r\n`)
    .join("")}\r\n`;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const framed = options.declareLength
    ? chunk
    : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("error", reject);
    // Not reading while sending, like a client that writes the whole request before looking at the answer.
    socket.pause();
    let answer = "";
    socket.on("data", (data: Buffer) => {
      answer += data.toString("latin1");
    });
    socket.on("end", () => {
      const [statusLine = "", ...rest] = answer.split("\r\n");
      resolve({
        status: Number(statusLine.split(" ")[1]) || undefined,
        body: rest.join("\r\n").split("\r\n\r\n")[1] ?? "",
      });
    });
    socket.write(head);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(framed)) {
          socket.once("drain", pump);
          return;
        }
      }
      socket.write(options.declareLength ? "" : "0\r\n\r\n", () => socket.resume());
    };
    pump();
  });
}

describe("the node server's answer to an upload that is too large", () => {
  const SIX_MIB = 6 * 1024 * 1024;
  for (const declareLength of [true, false]) {
    it(`reaches a client still sending 6 MiB (${declareLength ? "content-length" : "chunked"}): 413, not a reset`, async () => {
      const { handler, calls } = setup();
      const running = await handler.listen(0, "127.0.0.1");
      try {
        const answer = await upload(`${running.url}/`, SIX_MIB, { declareLength });
        expect(answer.status).toBe(413);
        expect(JSON.parse(answer.body)).toEqual({ error: "body larger than 262144 bytes" });
        expect(calls).toEqual([]);
      } finally {
        await running.close();
      }
    });
  }

  it("reaches a client sending a large body with a bad signature: 403, not a reset", async () => {
    const { handler } = setup();
    const running = await handler.listen(0, "127.0.0.1");
    try {
      const answer = await upload(`${running.url}/`, SIX_MIB, {
        declareLength: true,
        headers: { sign: sign("another-secret", T0) },
      });
      expect(answer.status).toBe(403);
    } finally {
      await running.close();
    }
  });

  it("reaches a node:http client uploading 6 MiB, which reads the 413 and its body", async () => {
    const { handler } = setup();
    const running = await handler.listen(0, "127.0.0.1");
    try {
      const { request } = await import("node:http");
      const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
        const req = request(
          `${running.url}/`,
          { method: "POST", headers: { timestamp: String(T0), sign: sign(SECRET, T0) } },
          (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              body += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode, body }));
          },
        );
        req.on("error", reject);
        req.end(Buffer.alloc(SIX_MIB, 0x20));
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({ error: "body larger than 262144 bytes" });
    } finally {
      await running.close();
    }
  });
});

describe("the node server's bound on slow requests", () => {
  /** Opens a raw socket, writes `text`, and resolves with everything the server sent until it closed. */
  async function trickle(url: string, text: string): Promise<{ answer: string; ms: number }> {
    const { connect } = await import("node:net");
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), "127.0.0.1");
      let answer = "";
      socket.on("data", (data: Buffer) => {
        answer += data.toString("latin1");
      });
      socket.on("error", reject);
      socket.on("close", () => resolve({ answer, ms: Date.now() - started }));
      socket.write(text);
    });
  }

  it("answers 408 to a client that sends its headers and then only part of the body", async () => {
    const { handler, calls, logger } = setup({ requestTimeoutMs: 300 });
    const running = await handler.listen(0, "127.0.0.1");
    try {
      const head =
        "POST / HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n" +
        `timestamp: ${T0}\r\nsign: ${sign(SECRET, T0)}\r\n\r\n{"msgtype":`;
      const { answer, ms } = await trickle(running.url, head);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain("Connection: close");
      expect(answer.split("\r\n\r\n")[1]).toBe('{"error":"the request was not received in time"}');
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3000);
      expect(calls).toEqual([]);
      await expect.poll(() => logger.text()).toContain('"status":408');
      // One line for the refusal, not a second "bad body" warning for the body cut short.
      expect(logger.text()).not.toContain('callback rejected {"status":400');
    } finally {
      await running.close();
    }
  });

  it("answers 408 to a client that never finishes its headers", async () => {
    const { handler } = setup({ requestTimeoutMs: 300 });
    const running = await handler.listen(0, "127.0.0.1");
    try {
      const { answer, ms } = await trickle(running.url, "POST / HTTP/1.1\r\nHost: bot\r\ntimes");
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(ms).toBeLessThan(3000);
    } finally {
      await running.close();
    }
  });

  it("answers 400 in JSON to bytes that are not HTTP, and keeps serving", async () => {
    const { handler } = setup();
    const running = await handler.listen(0, "127.0.0.1");
    try {
      const { answer } = await trickle(running.url, "HELLO\x00 WORLD\r\n\r\n");
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer.split("\r\n\r\n")[1]).toBe('{"error":"malformed HTTP request"}');
      expect((await fetch(`${running.url}/`)).status).toBe(405);
    } finally {
      await running.close();
    }
  });

  it("refuses a requestTimeoutMs that is not positive", () => {
    expect(() => httpTransport(new Bot(), { appSecret: SECRET, requestTimeoutMs: 0 })).toThrow(
      /requestTimeoutMs/,
    );
  });
});

describe("httpTransport().listen()", () => {
  it("logs a server error after start-up and keeps serving", async () => {
    const errors: object[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (obj) => errors.push(obj) };
    const handler = httpTransport(new Bot(), { appSecret: "listen-secret", logger });
    const running = await handler.listen(0, "127.0.0.1");
    try {
      running.server.emit("error", Object.assign(new Error("too many open files"), { code: "EMFILE" }));
      expect(errors).toEqual([{ err: "EMFILE" }]);
      const answer = await fetch(`${running.url}/`, { method: "GET" });
      expect(answer.status).toBe(405);
    } finally {
      await running.close();
    }
  });
});
