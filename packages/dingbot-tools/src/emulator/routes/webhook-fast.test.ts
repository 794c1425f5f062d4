import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawAnswersOnOneConnection, rawExchange } from "../../http/_raw-exchange.js";
import { createEmulator, type Emulator } from "../emulator.js";
import { robotSendFastRoute } from "./webhook-fast.js";

const NOW = 1_700_000_000_000;
const SECRET = "SEC4c4262656fe9585e82ed9004f3688d0ff1257aee8e79de3c1c896db7d2b3f30d";
const SIGN = encodeURIComponent(createHmac("sha256", SECRET).update(`${NOW}\n${SECRET}`).digest("base64"));
const MESSAGE = JSON.stringify({ msgtype: "text", text: { content: "构建 #1 passed" } });
const LENGTH = `Content-Length: ${Buffer.byteLength(MESSAGE)}`;
const RATE_LIMIT = 20;

/** An emulator with one robot of each kind, the same tokens every time. */
function emulatorWithRobots(): Emulator {
  const emulator = createEmulator({ now: () => NOW, rateLimit: RATE_LIMIT });
  const { store } = emulator;
  const group = store.createConversation({ conversationId: "cidgroup" }).conversationId;
  store.createRobot({ accessToken: "plain", name: "plain", conversationId: group });
  store.createRobot({ accessToken: "signed", name: "signed", secret: SECRET, conversationId: group });
  store.createRobot({ accessToken: "keyword", name: "keyword", keywords: ["构建"], conversationId: group });
  store.createRobot({ accessToken: "ip", name: "ip", ipWhitelist: ["10.1.2.3"], conversationId: group });
  store.createRobot({ accessToken: "limited", name: "limited", conversationId: group });
  return emulator;
}

/** Sends one raw HTTP/1.1 request on its own connection and returns the raw answer, its Date masked. */
function exchange(port: number, head: string, body = ""): Promise<string> {
  return rawExchange(port, `${head}\r\nConnection: close\r\n\r\n${body}`, true);
}

/** A request head with the usual headers; `headers` replaces them when given. */
function head(target: string, body: string, port: number, headers?: string[], method = "POST"): string {
  const lines = headers ?? [
    `Host: 127.0.0.1:${port}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return [`${method} ${target} HTTP/1.1`, ...lines].join("\r\n");
}

/** What a request left behind in the emulator, without the random ids. */
function traces(emulator: Emulator) {
  return {
    messages: emulator.store.messages.map(({ id: _id, ...m }) => m),
    rejections: emulator.store.rejections.map(({ id: _id, ...r }) => r),
  };
}

describe("the node:http fast route of POST /robot/send", () => {
  // Two emulators alike: one listening as createEmulator does (fast route in front of Hono), one served by
  // @hono/node-server's listener alone (the Hono route), so every request can be sent to both.
  let fast: Emulator;
  let hono: Emulator;
  let honoServer: Server;
  let fastPort: number;
  let honoPort: number;

  beforeAll(async () => {
    fast = emulatorWithRobots();
    hono = emulatorWithRobots();
    fastPort = Number(new URL(await fast.listen(0)).port);
    honoServer = createServer(getRequestListener(hono.app.fetch));
    await new Promise<void>((resolve) => honoServer.listen(0, "127.0.0.1", resolve));
    honoPort = (honoServer.address() as { port: number }).port;
  });

  afterAll(async () => {
    await fast.close();
    honoServer.closeAllConnections();
    await new Promise((resolve) => honoServer.close(resolve));
  });

  const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  const large = JSON.stringify({ msgtype: "text", text: { content: "x".repeat(20_001) } });
  const cases: Array<{ name: string; target: string; body?: string; headers?: (port: number) => string[] }> =
    [
      { name: "a plain robot's message", target: "/robot/send?access_token=plain" },
      {
        name: "a signed robot's message",
        target: `/robot/send?access_token=signed&timestamp=${NOW}&sign=${SIGN}`,
      },
      { name: "a wrong signature", target: `/robot/send?access_token=signed&timestamp=${NOW}&sign=AAAA` },
      { name: "a stale timestamp", target: `/robot/send?access_token=signed&timestamp=1&sign=${SIGN}` },
      { name: "no signature", target: "/robot/send?access_token=signed" },
      { name: "no token", target: "/robot/send?other=1" },
      { name: "an unknown token", target: "/robot/send?access_token=nobody" },
      { name: "a '+' and escapes in the query", target: "/robot/send?access_token=pl%61in&x=a+b" },
      { name: "a second '?' before the token", target: "/robot/send??access_token=plain" },
      { name: "a bad escape in the query", target: "/robot/send?x=%zz&access_token=plain&y=%ED%A0%80" },
      {
        name: "a markdown message with mentions",
        target: "/robot/send?access_token=plain",
        body: JSON.stringify({
          msgtype: "markdown",
          markdown: { title: "告警", text: "磁盘 95% @138" },
          at: { atMobiles: ["138"], isAtAll: false },
        }),
      },
      { name: "a keyword present", target: "/robot/send?access_token=keyword" },
      {
        name: "a keyword missing",
        target: "/robot/send?access_token=keyword",
        body: JSON.stringify({ msgtype: "text", text: { content: "hi" } }),
      },
      { name: "an address not in the whitelist", target: "/robot/send?access_token=ip" },
      {
        name: "a text Content-Type",
        target: "/robot/send?access_token=plain",
        headers: (port) => [`Host: 127.0.0.1:${port}`, "Content-Type: text/plain", LENGTH],
      },
      {
        name: "a JSON Content-Type with parameters",
        target: "/robot/send?access_token=plain",
        headers: (port) => [
          `Host: 127.0.0.1:${port}`,
          "Content-Type: Application/JSON; charset=utf-8",
          LENGTH,
        ],
      },
      {
        name: "no Content-Type",
        target: "/robot/send?access_token=plain",
        headers: (port) => [`Host: 127.0.0.1:${port}`, LENGTH],
      },
      { name: "a body that is not JSON", target: "/robot/send?access_token=plain", body: "{" },
      { name: "a body without msgtype", target: "/robot/send?access_token=plain", body: "{}" },
      { name: "an unknown msgtype", target: "/robot/send?access_token=plain", body: '{"msgtype":"x"}' },
      {
        name: "a field missing",
        target: "/robot/send?access_token=plain",
        body: '{"msgtype":"text","text":{}}',
      },
      { name: "a body over 20000 bytes", target: "/robot/send?access_token=plain", body: large },
      {
        name: "a chunked body over 20000 bytes",
        target: "/robot/send?access_token=plain",
        body: chunked(large),
        headers: (port) => [
          `Host: 127.0.0.1:${port}`,
          "Content-Type: application/json",
          "Transfer-Encoding: chunked",
        ],
      },
      {
        name: "a chunked message",
        target: "/robot/send?access_token=plain",
        body: chunked(MESSAGE),
        headers: (port) => [
          `Host: 127.0.0.1:${port}`,
          "Content-Type: application/json",
          "Transfer-Encoding: chunked",
        ],
      },
      {
        name: "a message with a msgUuid",
        target: "/robot/send?access_token=plain",
        body: JSON.stringify({ msgtype: "text", text: { content: "x" }, msgUuid: "u-1" }),
      },
      {
        name: "the same msgUuid again",
        target: "/robot/send?access_token=plain",
        body: JSON.stringify({ msgtype: "text", text: { content: "x" }, msgUuid: "u-1" }),
      },
    ];

  it.each(cases)("answers $name byte for byte as the Hono route, and records the same", async (c) => {
    const body = c.body ?? MESSAGE;
    const [viaFast, viaHono] = await Promise.all([
      exchange(fastPort, head(c.target, body, fastPort, c.headers?.(fastPort)), body),
      exchange(honoPort, head(c.target, body, honoPort, c.headers?.(honoPort)), body),
    ]);
    expect(viaFast).toBe(viaHono);
    expect(viaFast).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: application\/json\r\n/);
    expect(traces(fast)).toEqual(traces(hono));
  });

  it("answers HTTP/1.0 as the Hono route: its own Content-Length, keep-alive kept when asked for", async () => {
    const request = (port: number, connection: string) =>
      `POST /robot/send?access_token=plain HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(MESSAGE)}\r\n${connection}\r\n${MESSAGE}`;
    // `ab -k` asks for keep-alive this way: two requests on one connection get two answers.
    const keepAlive = (port: number) => [1, 2].map(() => request(port, "Connection: Keep-Alive\r\n"));
    const [viaFast, viaHono] = await Promise.all([
      rawAnswersOnOneConnection(fastPort, keepAlive(fastPort)),
      rawAnswersOnOneConnection(honoPort, keepAlive(honoPort)),
    ]);
    expect(viaFast).toEqual(viaHono);
    expect(viaFast).toHaveLength(2);
    expect(viaFast[0]).toContain("\r\nContent-Length: 27\r\n");
    // Without it, the server answers and closes, alike.
    const [closeFast, closeHono] = await Promise.all([
      rawExchange(fastPort, request(fastPort, "")),
      rawExchange(honoPort, request(honoPort, "")),
    ]);
    expect(closeFast).toBe(closeHono);
    expect(closeFast).toContain("\r\nConnection: close\r\n");
    expect(traces(fast)).toEqual(traces(hono));
  });

  it("answers the messages within and over the rate window as the Hono route", async () => {
    const target = "/robot/send?access_token=limited";
    for (let i = 0; i <= RATE_LIMIT; i++) {
      const viaFast = await exchange(fastPort, head(target, MESSAGE, fastPort), MESSAGE);
      const viaHono = await exchange(honoPort, head(target, MESSAGE, honoPort), MESSAGE);
      expect(viaFast).toBe(viaHono);
      if (i === RATE_LIMIT) expect(viaFast).toContain('"errcode":410100');
    }
    expect(traces(fast)).toEqual(traces(hono));
  });

  it("keeps a keep-alive connection usable after a refusal that left the body unread", async () => {
    const refused = `/robot/send?access_token=signed&timestamp=${NOW}&sign=AAAA`;
    const answers = await rawAnswersOnOneConnection(
      fastPort,
      [
        `${head(refused, MESSAGE, fastPort)}\r\n\r\n${MESSAGE}`,
        `${head("/robot/send?access_token=plain", MESSAGE, fastPort)}\r\n\r\n${MESSAGE}`,
      ],
      true,
    );
    expect(answers[0]).toContain('"errcode":310000');
    expect(answers[1]).toContain('{"errcode":0,"errmsg":"ok"}');
  });

  it("closes the connection when a refused request's body never arrives", async () => {
    const socket = connect(fastPort, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    const closed = new Promise((resolve) => socket.on("close", resolve));
    // A declared body of 100 bytes of which none is sent: refused for its signature, then drained in vain.
    socket.write(
      `${head(`/robot/send?access_token=signed&timestamp=${NOW}&sign=AAAA`, "x".repeat(100), fastPort)}\r\n\r\n`,
    );
    await closed;
    expect(answer).toContain('"errcode":310000');
  });

  it("leaves every request to Hono while a webhook fault is injected", async () => {
    fast.ctx.webhook.faults.add({ kind: "http5xx", count: 1, status: 502 });
    const faulted = await exchange(
      fastPort,
      head("/robot/send?access_token=plain", MESSAGE, fastPort),
      MESSAGE,
    );
    expect(faulted).toMatch(/^HTTP\/1\.1 502 /);
    expect(faulted).toContain("emulated fault: HTTP 502");
    const after = await exchange(
      fastPort,
      head("/robot/send?access_token=plain", MESSAGE, fastPort),
      MESSAGE,
    );
    expect(after).toContain('{"errcode":0,"errmsg":"ok"}');
  });
});

describe("which requests the fast route takes", () => {
  // A server that asks the fast route first and answers "left" for what it leaves.
  let server: Server;
  let port: number;
  const emulator = createEmulator({ now: () => NOW });
  emulator.store.createRobot({ accessToken: "plain" });
  const route = robotSendFastRoute(emulator.ctx);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!route(req, res)) res.end("left");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = async (target: string, headers?: string[], method = "POST") => {
    const answer = await exchange(port, head(target, MESSAGE, port, headers, method), MESSAGE);
    return answer.endsWith("left") ? "left" : "taken";
  };

  it("takes a POST to /robot/send with a plain query, Host and one Content-Type", async () => {
    expect(await send("/robot/send?access_token=plain")).toBe("taken");
    expect(await send("/robot/send?access_token=nobody")).toBe("taken");
  });

  it("leaves other methods and other forms of the path", async () => {
    expect(await send("/robot/send?access_token=plain", undefined, "GET")).toBe("left");
    expect(await send("/robot/send")).toBe("left");
    expect(await send("/robot/send/?access_token=plain")).toBe("left");
    expect(await send("/robot/sen%64?access_token=plain")).toBe("left");
    expect(await send(`http://127.0.0.1:${port}/robot/send?access_token=plain`)).toBe("left");
  });

  it("leaves a query with a fragment and a Host that @hono/node-server would parse or refuse", async () => {
    expect(await send("/robot/send?access_token=plain#x")).toBe("left");
    const type = "Content-Type: application/json";
    expect(await send("/robot/send?access_token=plain", [`Host: LOCALHOST:${port}`, type, LENGTH])).toBe(
      "left",
    );
    expect(await send("/robot/send?access_token=plain", ["Host: a@b", type, LENGTH])).toBe("left");
  });

  it("leaves a request with two Content-Type headers", async () => {
    const headers = [`Host: 127.0.0.1:${port}`, "Content-Type: application/json", "Content-Type: text/plain"];
    expect(await send("/robot/send?access_token=plain", [...headers, LENGTH])).toBe("left");
  });

  it("leaves every request while a webhook fault is pending, but not for a card-qps fault", async () => {
    emulator.ctx.webhook.faults.add({ kind: "card-qps", count: 1 });
    expect(await send("/robot/send?access_token=plain")).toBe("taken");
    const fault = emulator.ctx.webhook.faults.add({ kind: "delay", count: 1, delayMs: 0 });
    expect(await send("/robot/send?access_token=plain")).toBe("left");
    emulator.ctx.webhook.faults.remove(fault.id);
    expect(await send("/robot/send?access_token=plain")).toBe("taken");
  });
});
