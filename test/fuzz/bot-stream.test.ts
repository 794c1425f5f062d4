/**
 * Fuzz campaign: `dingbot serve --stream`, the Stream-mode side of the bot. Frames are generated from the
 * downstream frame schema (CALLBACK robot messages from the inbound message schema, EVENTs, SYSTEM pings and
 * disconnects) and mutated (depth, size, types, encodings, duplicate keys, `__proto__`). Bulk: straight into
 * the transport's frame router with a recording link; a share: over a real WebSocket from a fake gateway to
 * `streamTransport()`. Properties: routing never throws; every frame with a messageId that needs an answer
 * gets exactly one well-formed ack with that messageId and a 2xx or 4xx code; the bot's handler never fails
 * on what validation let through; no secret (app secret, ticket, session) in acks or log lines; no prototype
 * pollution; a valid robot message is still dispatched and acked afterwards.
 */

import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DingTalkError } from "dingbot-sdk";
import { type StreamTransport, streamTransport, type WebSocketConstructor } from "dingbot-sdk/bot";
import {
  AckFrameSchema,
  check,
  DownstreamFrameSchema,
  InboundMessageSchema,
  parseJson,
  ROBOT_MESSAGE_TOPIC,
} from "dingbot-sdk/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import bot from "../../examples/answer-bot.js";
import { createCliLogger } from "../../packages/dingbot-tools/src/cli/commands/bot-logger.js";
import { type Failure, failureReport, runPart, runsPerTarget, split, Tally } from "./lib/campaign.js";
import { findSecret, mask, prototypeFailure, tryJson } from "./lib/http.js";
import { LogTap } from "./lib/log-tap.js";
import { wireBody } from "./lib/mutate.js";
import { fromSchema } from "./lib/schema-arb.js";
import { configureLikeServe, FAKE_ACCESS_TOKEN } from "./lib/serve-bot.js";

const TARGET = "dingbot serve --stream (frames)";
const CLIENT_ID = "dingstreamfuzz01";
const CLIENT_SECRET = "stream-fuzz-client-secret-0123456789-ABCDEFGHIJ";
const TICKET = "ticket-fuzz-0123456789abcdef0123456789abcdef";
const SESSION = "5e5510a0a0a0a0a0a0a0a0a0a0a0a0a0";
const SESSION_WEBHOOK = `http://127.0.0.1:9/robot/sendBySession?session=${SESSION}`;
const SECRETS = [CLIENT_SECRET, TICKET, SESSION, FAKE_ACCESS_TOKEN];

const log = new LogTap();
let handlerFailures = 0;
let lastHandlerError = "";
const tally = new Tally();
const runs = split(runsPerTarget());
const timeoutMs = Math.max(120_000, runsPerTarget() * 30);

const logger = createCliLogger((text) => {
  log.write(text);
}, "debug");

// --- generators -------------------------------------------------------------------------------------------

const message = fromSchema(InboundMessageSchema, {
  content: ["text", "markdown", "feed", "整体跳转", "独立跳转", "hello"],
  sessionWebhook: [SESSION_WEBHOOK, "", "not a url", "http://[::1"],
  sessionWebhookExpiredTime: [Date.now() + 3_600_000, 0, -1],
  conversationType: ["1", "2"],
  msgId: ["msgdup1", "msgdup2"],
});

/** One generated frame: its text (or bytes, sent as a binary frame) and the messageId it carries. */
interface FrameCase {
  text: string;
  binary: boolean;
  note: string;
}

const frameValue = fc
  .record({
    specVersion: fc.option(fc.constantFrom("1.0", ""), { nil: undefined }),
    type: fc.oneof(
      { arbitrary: fc.constant("CALLBACK"), weight: 16 },
      fc.constantFrom("EVENT", "SYSTEM", "SYSTEM", "callback", "", "UNKNOWN"),
    ),
    topic: fc.oneof(
      { arbitrary: fc.constant(ROBOT_MESSAGE_TOPIC), weight: 6 },
      fc.constantFrom("ping", "disconnect", "*", "/v1.0/card/instances/callback", "", "__proto__"),
    ),
    messageId: fc.oneof(
      { arbitrary: fc.uuid(), weight: 6 },
      fc.constantFrom("dup-1", "dup-2", "", "__proto__", "constructor"),
      fc.string({ maxLength: 20 }),
    ),
    extraHeaders: fc.dictionary(
      fc.constantFrom("contentType", "time", "appId", "connectionId", "__proto__", "x"),
      fc.oneof({ arbitrary: fc.string({ maxLength: 20 }), weight: 4 }, fc.jsonValue({ maxDepth: 1 })),
      { maxKeys: 2 },
    ),
    data: wireBody(message),
  })
  .map((f) => ({
    ...(f.specVersion !== undefined ? { specVersion: f.specVersion } : {}),
    type: f.type,
    headers: { ...f.extraHeaders, topic: f.topic, messageId: f.messageId, contentType: "application/json" },
    data: Buffer.from(f.data.bytes).toString("utf8"),
    note: f.data.note,
  }));

const frameCase: fc.Arbitrary<FrameCase> = fc
  .tuple(frameValue, wireBody(frameValue.map(({ note: _note, ...frame }) => frame)), fc.nat({ max: 19 }))
  .map(([inner, outer, roll]) => {
    // Mostly a well-formed frame around a mutated message; sometimes the frame itself is mutated.
    if (roll < 12) {
      const { note, ...frame } = inner;
      return { text: JSON.stringify(frame), binary: false, note: `frame ok, data: ${note}` };
    }
    return {
      text: Buffer.from(outer.bytes).toString("utf8"),
      binary: roll === 19,
      note: `frame: ${outer.note}${roll === 19 ? ", binary" : ""}`,
    };
  });

const describeFrame = (f: FrameCase): string =>
  `${f.note}: ${JSON.stringify(f.text.slice(0, 300))} (${f.text.length} chars)`;

// --- checks -----------------------------------------------------------------------------------------------

/** What the frame, as the transport will read it, asks for: which messageId must be acked, if any. */
function expectedAck(text: string): { messageId: string; kind: string } | undefined {
  // Frames are read with the shared depth cap: a frame nested deeper than 64 is dropped unread.
  const json = parseJson(text);
  if (!json.ok) return undefined;
  const parsed = check(DownstreamFrameSchema, json.value);
  if (!parsed.ok) return undefined;
  const { type, headers } = parsed.value;
  if (!headers.messageId) return undefined;
  if (type === "CALLBACK" || type === "EVENT") return { messageId: headers.messageId, kind: type };
  if (type === "SYSTEM" && (headers.topic === "ping" || headers.topic === "disconnect"))
    return { messageId: headers.messageId, kind: headers.topic };
  return undefined;
}

/** Checks the acks sent for one frame. */
function checkAcks(f: FrameCase, acks: string[]): Failure[] {
  const failures: Failure[] = [];
  const expected = f.binary ? undefined : expectedAck(f.text);
  for (const ack of acks) {
    const parsed = check(AckFrameSchema, tryJson(ack));
    if (!parsed.ok) {
      failures.push({ signature: "malformed ack", detail: ack.slice(0, 300) });
      continue;
    }
    const { code, headers } = parsed.value;
    tally.add(`${expected?.kind ?? "none"} → ack ${code} ${parsed.value.message ?? ""}`);
    if (code >= 500)
      failures.push({
        signature: `ack ${code} for a ${expected?.kind ?? "?"} frame`,
        detail: ack.slice(0, 300),
      });
    if (!expected || headers.messageId !== expected.messageId) {
      failures.push({ signature: "ack for a frame that was not sent", detail: ack.slice(0, 300) });
    }
    // Pings and disconnects are acked with their own data: a secret the frame carried may come back.
    const leaked = findSecret(
      ack,
      SECRETS.filter((secret) => !f.text.includes(secret)),
    );
    if (leaked) failures.push({ signature: "secret in an ack", detail: `contains ${mask(leaked)}` });
  }
  if (expected && acks.length !== 1) {
    failures.push({
      signature: `${acks.length} acks for one ${expected.kind} frame`,
      detail: acks.join(" | ").slice(0, 300),
    });
  }
  if (!expected) tally.add(`ignored (${acks.length} acks)`);
  return failures;
}

function logFailures(): Failure[] {
  const fresh = log.take();
  const failures: Failure[] = [];
  const leaked = findSecret(fresh, SECRETS);
  if (leaked) failures.push({ signature: "secret in the log", detail: `contains ${mask(leaked)}` });
  return failures;
}

let validCount = 0;
function validFrame(): { text: string; messageId: string } {
  validCount += 1;
  const messageId = `valid-${validCount}-${Date.now()}`;
  const body = {
    msgtype: "text",
    text: { content: "text" },
    msgId: `msgvalid${messageId}`,
    createAt: Date.now(),
    conversationType: "1",
    conversationId: "cidFuzz==",
    senderId: "$:LWCP_v1:$fuzz",
    senderStaffId: "user001",
    sessionWebhook: SESSION_WEBHOOK,
    sessionWebhookExpiredTime: Date.now() + 3_600_000,
  };
  const frame = {
    specVersion: "1.0",
    type: "CALLBACK",
    headers: { topic: ROBOT_MESSAGE_TOPIC, messageId, contentType: "application/json" },
    data: JSON.stringify(body),
  };
  return { text: JSON.stringify(frame), messageId };
}

/**
 * A WebSocket stand-in with the `ws` API the transport uses, so the bulk runs without sockets; frames are
 * delivered with `emit("message", data, isBinary)` exactly as `ws` delivers them.
 */
class FakeSocket extends EventEmitter {
  static all: FakeSocket[] = [];
  static acks = new Map<string, string[]>();
  readonly OPEN = 1;
  readonly CLOSED = 3;
  readyState = 0;
  readonly sent: string[] = [];

  constructor(readonly url: string) {
    super();
    FakeSocket.all.push(this);
    setImmediate(() => {
      this.readyState = this.OPEN;
      this.emit("open");
    });
  }

  send(text: string): void {
    this.sent.push(String(text));
    const id =
      (tryJson(String(text)) as { headers?: { messageId?: string } } | undefined)?.headers?.messageId ?? "";
    FakeSocket.acks.set(id, [...(FakeSocket.acks.get(id) ?? []), String(text)]);
  }

  ping(): void {
    setImmediate(() => this.emit("pong"));
  }

  close(): void {
    this.terminate();
  }

  terminate(): void {
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CLOSED;
    setImmediate(() => this.emit("close", 1000, Buffer.alloc(0)));
  }

  /** The transport's open socket (a disconnect frame makes it open another). */
  static async current(transport: StreamTransport): Promise<FakeSocket> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const ws = FakeSocket.all.at(-1);
      if (ws && ws.readyState === 1 && transport.state === "open") return ws;
      if (Date.now() > deadline) throw new Error(`no open stream connection (state ${transport.state})`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Waits (briefly) for the acks of one messageId. */
  static async acksOf(messageId: string): Promise<string[]> {
    const deadline = Date.now() + 3000;
    while (!FakeSocket.acks.has(messageId) && Date.now() < deadline)
      await new Promise((resolve) => setImmediate(resolve));
    const acks = FakeSocket.acks.get(messageId) ?? [];
    FakeSocket.acks.delete(messageId);
    return acks;
  }
}

beforeAll(() => {
  configureLikeServe(bot, { appKey: CLIENT_ID, appSecret: CLIENT_SECRET, logger });
  bot.catch((error) => {
    const cause = error.cause;
    if (cause instanceof DingTalkError) {
      // dingbot's own typed refusal (e.g. a 1:1 reply without senderStaffId once the sessionWebhook is
      // unusable): the bot saw the message and said clearly why it cannot answer. Counted, not a failure.
      tally.add(`handler refused: ${cause.name}: ${cause.message.slice(0, 80)}`);
    } else {
      handlerFailures += 1;
      lastHandlerError = String((cause as Error | undefined)?.stack ?? error.stack ?? error.message).slice(
        0,
        600,
      );
    }
    logger.error({ err: error.message }, "handler failed");
  });
});

describe(`fuzz: ${TARGET}`, () => {
  it(
    `streamTransport() with an in-process WebSocket: ${runs.inProcess} cases`,
    async () => {
      const transport = streamTransport({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        baseUrl: "http://127.0.0.1:9",
        logger,
        fetch: async () =>
          new Response(JSON.stringify({ endpoint: "ws://127.0.0.1:9/connect", ticket: TICKET }), {
            headers: { "content-type": "application/json" },
          }),
        WebSocket: FakeSocket as unknown as WebSocketConstructor,
        retireGraceMs: 50,
        backoff: { initialMs: 1, maxMs: 10 },
      });
      await bot.start(transport);
      try {
        const result = await runPart(
          TARGET,
          "in-process",
          runs.inProcess,
          frameCase,
          async (f) => {
            const failures: Failure[] = [];
            const failuresBefore = handlerFailures;
            const ws = await FakeSocket.current(transport);
            ws.sent.length = 0;
            try {
              ws.emit("message", Buffer.from(f.text), f.binary);
            } catch (error) {
              failures.push({
                signature: "a frame made the socket's message listener throw",
                detail: String(error),
              });
            }
            // A valid robot message afterwards: acked 200 (on the socket it came on, or the next one).
            const valid = validFrame();
            const next = await FakeSocket.current(transport);
            next.emit("message", Buffer.from(valid.text), false);
            const validAcks = await FakeSocket.acksOf(valid.messageId);
            const fuzzAcks = [...ws.sent, ...(next === ws ? [] : next.sent)].filter(
              (a) => !a.includes(valid.messageId),
            );
            failures.push(...checkAcks(f, fuzzAcks));
            const ack = tryJson(validAcks[0] ?? "") as { code?: number } | undefined;
            if (validAcks.length !== 1 || ack?.code !== 200) {
              failures.push({
                signature: "valid robot message not acked afterwards",
                detail: `${validAcks.length} acks; state ${transport.state}`,
              });
            }
            for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
            if (handlerFailures > failuresBefore) {
              failures.push({
                signature: "the bot's handler failed on a message validation let through",
                detail: lastHandlerError,
              });
            }
            failures.push(...logFailures(), ...prototypeFailure());
            return failures;
          },
          describeFrame,
        );
        expect(result.classes, failureReport(result)).toEqual([]);
      } finally {
        await bot.stop();
      }
    },
    timeoutMs,
  );

  describe("over a real WebSocket from a fake gateway", () => {
    let server: http.Server;
    let wss: WebSocketServer;
    let transport: StreamTransport;
    let gatewayCalls = 0;
    const sockets: WebSocket[] = [];
    const acks = new Map<string, string[]>();
    const waiters = new Map<string, () => void>();

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          gatewayCalls += 1;
          const { port } = server.address() as AddressInfo;
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: TICKET }));
        });
      });
      wss = new WebSocketServer({ server });
      wss.on("connection", (ws) => {
        sockets.push(ws);
        ws.on("message", (data) => {
          const text = data.toString();
          const id =
            (tryJson(text) as { headers?: { messageId?: string } } | undefined)?.headers?.messageId ?? "";
          const list = acks.get(id) ?? [];
          list.push(text);
          acks.set(id, list);
          waiters.get(id)?.();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      transport = streamTransport({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        baseUrl: `http://127.0.0.1:${port}`,
        logger,
        retireGraceMs: 200,
        backoff: { initialMs: 10, maxMs: 100 },
      });
      await bot.start(transport);
    });

    afterAll(async () => {
      await bot.stop();
      for (const ws of sockets) ws.terminate();
      wss?.close();
      await new Promise((resolve) => server?.close(resolve));
    });

    /** The newest open socket (a disconnect frame makes the bot open another). */
    async function current(): Promise<WebSocket> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const ws = sockets.at(-1);
        if (ws && ws.readyState === ws.OPEN && transport.state === "open") return ws;
        if (Date.now() > deadline) throw new Error(`no open stream connection (state ${transport.state})`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }

    function ackOf(messageId: string, timeout = 3000): Promise<string[]> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(messageId);
          resolve(acks.get(messageId) ?? []);
        };
        const timer = setTimeout(done, timeout);
        waiters.set(messageId, done);
        if (acks.has(messageId)) done();
      });
    }

    it(
      `streamTransport() over ws://127.0.0.1: ${runs.socket} cases`,
      async () => {
        const result = await runPart(
          TARGET,
          "socket",
          runs.socket,
          frameCase,
          async (f) => {
            const failures: Failure[] = [];
            const failuresBefore = handlerFailures;
            const expected = f.binary ? undefined : expectedAck(f.text);
            if (expected) acks.delete(expected.messageId);
            const ws = await current();
            ws.send(f.binary ? Buffer.from(f.text) : f.text, { binary: f.binary });
            // A valid frame after it; acks come in order, so once the valid one is acked the fuzzed one was handled.
            const valid = validFrame();
            const target = expected?.kind === "disconnect" ? await current().catch(() => ws) : ws;
            if (expected?.kind === "disconnect") await new Promise((resolve) => setTimeout(resolve, 20));
            (await current().catch(() => target)).send(valid.text);
            const validAcks = await ackOf(valid.messageId);
            const ok =
              validAcks.length === 1 && (tryJson(validAcks[0] ?? "") as { code?: number })?.code === 200;
            if (!ok)
              failures.push({
                signature: "valid robot message not acked afterwards",
                detail: `${validAcks.length} acks; state ${transport.state}`,
              });
            const fuzzAcks = expected ? (acks.get(expected.messageId) ?? []) : [];
            if (expected) acks.delete(expected.messageId);
            // Frames with an unexpected messageId cannot be told apart here; checkAcks sees only this frame's acks.
            failures.push(...checkAcks(f, fuzzAcks));
            if (handlerFailures > failuresBefore) {
              failures.push({
                signature: "the bot's handler failed on a message validation let through",
                detail: lastHandlerError,
              });
            }
            await new Promise((resolve) => setImmediate(resolve));
            failures.push(...logFailures(), ...prototypeFailure());
            return failures;
          },
          describeFrame,
        );
        expect(gatewayCalls).toBeGreaterThan(0);
        expect(result.classes, failureReport(result)).toEqual([]);
      },
      timeoutMs,
    );
  });

  afterAll(() => tally.print(TARGET));
});
