/**
 * Fuzz campaign: `dingbot serve`'s HTTP callback handler, built as serve builds it (the example answer bot,
 * configured with the app secret, the CLI's pino logger, an injected fetch) with signed and unsigned
 * callbacks whose bodies come from the inbound message schema and are then mutated. Properties: no 5xx,
 * every refusal a 4xx with a reason, no secret (app secret, sessionWebhook session) in any answer or log
 * line, no prototype pollution, and a valid signed message is still answered afterwards. Bulk through the
 * Fetch handler in-process, a share through `handler.listen()` (node:http, what serve runs) over a socket.
 */
import { createHmac } from "node:crypto";
import { type HttpCallbackHandler, httpTransport, type RunningHttpServer } from "dingbot-sdk/bot";
import { InboundMessageSchema } from "dingbot-sdk/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import bot from "../../examples/answer-bot.js";
import { createCliLogger } from "../../packages/dingbot-tools/src/cli/commands/bot-logger.js";
import { type Failure, failureReport, runPart, runsPerTarget, split, Tally } from "./lib/campaign.js";
import {
  type Answer,
  checkAnswer,
  describeCase,
  findSecret,
  fromResponse,
  type HttpCase,
  mask,
  prototypeFailure,
  routeOf,
  SocketClient,
  toRequest,
  tryJson,
  withTimeout,
} from "./lib/http.js";
import { LogTap } from "./lib/log-tap.js";
import { contentType, extraHeaders, headerValue, method, wireBody } from "./lib/mutate.js";
import { fromSchema } from "./lib/schema-arb.js";
import { configureLikeServe, FAKE_ACCESS_TOKEN } from "./lib/serve-bot.js";

const TARGET = "dingbot serve (HTTP callbacks)";
const T0 = Date.parse("2026-12-03T12:00:00Z");
const HOUR = 3_600_000;
const APP_SECRET = "serve-fuzz-app-secret-0123456789-ABCDEFGHIJKLMNOP";
const SESSION = "5e55104f0bad0bad0bad0bad0bad0bad";
const SESSION_WEBHOOK = `http://127.0.0.1:9/robot/sendBySession?session=${SESSION}`;
const PATH = "/dd_robot";
const SECRETS = [APP_SECRET, SESSION, FAKE_ACCESS_TOKEN];

const log = new LogTap(['"msg":"callback"']);
let handler: HttpCallbackHandler;
let server: RunningHttpServer;
let socket: SocketClient;
let validCount = 0;
/** The bot's clock: every request gets a fresh timestamp, as real callbacks do (see CASE_STEP_MS). */
let clock = T0;
const tally = new Tally();

const runs = split(runsPerTarget());
const timeoutMs = Math.max(120_000, runsPerTarget() * 30);

const signOf = (ts: string, secret = APP_SECRET): string =>
  createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64");

beforeAll(async () => {
  const logger = createCliLogger((text) => {
    log.write(text);
  }, "debug");
  expect(log.total).toBe(0);
  // What `dingbot serve` does with a bot file: configure it with the secret, its logger and io.fetch.
  configureLikeServe(bot, { appKey: "dinghttpfuzz01", appSecret: APP_SECRET, logger, now: () => clock });
  handler = httpTransport(bot, {
    appSecret: APP_SECRET,
    path: PATH,
    now: () => clock,
    logger,
    timeoutMs: 2500,
  });
  server = await handler.listen(0, "127.0.0.1");
  socket = new SocketClient(server.url);
});

afterAll(async () => {
  tally.print(TARGET);
  socket?.close();
  await server?.close();
});

// --- generators -------------------------------------------------------------------------------------------

const message = fromSchema(InboundMessageSchema, {
  content: ["text", "markdown", "feed", "整体跳转", "独立跳转", "獨立跳轉", " text ", "hello"],
  sessionWebhook: [SESSION_WEBHOOK, "", "not a url", "http://[::1", "javascript:alert(1)"],
  sessionWebhookExpiredTime: [T0 + HOUR, T0 - 1, 0, -1, 1e300],
  conversationType: ["1", "2"],
  createAt: [T0, String(T0), "yesterday"],
  senderStaffId: ["user001", ""],
  robotCode: ["dingfuzzbot"],
});

const timestamp: fc.Arbitrary<{ offset: number } | { literal: string }> = fc.oneof(
  { arbitrary: fc.constant({ offset: 0 }), weight: 6 },
  fc.integer({ min: -2 * HOUR, max: 2 * HOUR }).map((offset) => ({ offset })),
  fc.constantFrom(-HOUR - 1, -HOUR, HOUR, HOUR + 1).map((offset) => ({ offset })),
  fc
    .constantFrom("0", "-1", "1e12", "", " ", "99999999999999999999", "1796299200000.0")
    .map((literal) => ({ literal })),
  headerValue.map((literal) => ({ literal })),
);
const signMode = fc.oneof(
  { arbitrary: fc.constant("valid"), weight: 8 },
  fc.constantFrom("absent", "other-secret", "other-ts", "random", "empty", "valid-padded"),
);

/** A generated callback; the timestamp is relative to the clock when it is sent (signatures are single-use). */
interface CallbackCase {
  c: HttpCase;
  /** Offset from the clock in ms, or a literal header value, or absent. */
  timestamp: { offset: number } | { literal: string } | undefined;
  signMode: string;
  random: string;
}

const callback: fc.Arbitrary<CallbackCase> = fc
  .record({
    method,
    path: fc.oneof(
      { arbitrary: fc.constant(PATH), weight: 10 },
      fc.constantFrom(`${PATH}/`, "/", "/dd_robot2", `${PATH}?x=1`, `${PATH}/../x`, "/DD_ROBOT"),
    ),
    timestamp: fc.option(timestamp, { nil: undefined, freq: 12 }),
    signMode,
    random: headerValue,
    type: contentType,
    extra: extraHeaders,
    body: wireBody(message),
  })
  .map((r) => {
    const headers: Record<string, string> = { ...r.extra };
    delete headers.timestamp;
    delete headers.sign;
    if (r.type !== undefined) headers["content-type"] = r.type;
    return {
      c: { method: r.method, path: r.path, headers, body: r.body },
      timestamp: r.timestamp,
      signMode: r.signMode,
      random: r.random,
    };
  });

const sent = new WeakMap<CallbackCase, HttpCase>();

/**
 * Signatures are single-use (replay protection), so the clock moves on 10 hours per case: a case's own
 * timestamps lie within ±2 h of its clock, its valid message 3 h after it, so the valid message never reuses
 * a timestamp some earlier request signed.
 */
const CASE_STEP_MS = 10 * HOUR;

/** The request of a generated callback at the current clock. */
function materialize(g: CallbackCase): HttpCase {
  clock += CASE_STEP_MS - 3 * HOUR;
  const headers = { ...g.c.headers };
  const ts =
    g.timestamp === undefined
      ? undefined
      : "offset" in g.timestamp
        ? String(clock + g.timestamp.offset)
        : g.timestamp.literal;
  if (ts !== undefined) headers.timestamp = ts;
  const signs: Record<string, string | undefined> = {
    valid: signOf(ts ?? ""),
    "valid-padded": ` ${signOf(ts ?? "")} `,
    absent: undefined,
    "other-secret": signOf(ts ?? "", "another-secret"),
    "other-ts": signOf(`${ts ?? ""}1`),
    random: g.random,
    empty: "",
  };
  const value = signs[g.signMode];
  if (value !== undefined) headers.sign = value;
  const c = { ...g.c, headers };
  sent.set(g, c);
  return c;
}

const describeCallback = (g: CallbackCase): string => describeCase(sent.get(g) ?? g.c);

// --- checks -----------------------------------------------------------------------------------------------

function validCase(): HttpCase {
  validCount += 1;
  clock += 3 * HOUR;
  const body = {
    msgtype: "text",
    text: { content: "text" },
    msgId: `msgvalid${validCount}`,
    createAt: clock,
    conversationType: "2",
    conversationId: "cidFuzz==",
    senderId: "$:LWCP_v1:$fuzz",
    senderNick: "模糊",
    senderStaffId: "user001",
    sessionWebhook: SESSION_WEBHOOK,
    sessionWebhookExpiredTime: clock + HOUR,
    isInAtList: true,
  };
  const ts = String(clock);
  return {
    method: "POST",
    path: PATH,
    headers: { "content-type": "application/json", timestamp: ts, sign: signOf(ts) },
    body: { bytes: Buffer.from(JSON.stringify(body)), note: "valid" },
  };
}

function logFailures(): Failure[] {
  const fresh = log.take();
  const leaked = findSecret(fresh, SECRETS);
  return leaked
    ? [{ signature: "secret in the log", detail: `contains ${mask(leaked)}: ${fresh.slice(0, 300)}` }]
    : [];
}

async function checkCase(send: (c: HttpCase) => Promise<Answer>, g: CallbackCase): Promise<Failure[]> {
  const c = materialize(g);
  const failures: Failure[] = [];
  try {
    const started = performance.now();
    const answer = await send(c);
    const ms = performance.now() - started;
    failures.push(...checkAnswer(c, answer, { secrets: SECRETS }));
    const json = tryJson(answer.text) as { msgtype?: string; error?: string } | undefined;
    tally.add(
      `${routeOf(c)} → ${answer.status} ${json?.msgtype ?? json?.error ?? ""} (${c.body?.note ?? "no body"})`.slice(
        0,
        160,
      ),
      ms,
    );
  } catch (error) {
    failures.push({ signature: `no answer on ${routeOf(c)}`, detail: String(error) });
  }
  try {
    const after = await send(validCase());
    const reply = tryJson(after.text) as { msgtype?: string } | undefined;
    if (after.status !== 200 || reply?.msgtype !== "text") {
      failures.push({
        signature: "valid signed message not answered afterwards",
        detail: `${after.status} ${after.text.slice(0, 200)}`,
      });
    }
  } catch (error) {
    failures.push({ signature: "no answer to a valid message afterwards", detail: String(error) });
  }
  failures.push(...logFailures(), ...prototypeFailure());
  return failures;
}

async function inProcess(c: HttpCase): Promise<Answer> {
  return withTimeout(handler(toRequest("http://127.0.0.1:3000", c)).then(fromResponse), 5000);
}

describe(`fuzz: ${TARGET}`, () => {
  it(
    `in-process handler(Request): ${runs.inProcess} cases`,
    async () => {
      const result = await runPart(
        TARGET,
        "in-process",
        runs.inProcess,
        callback,
        (g) => checkCase(inProcess, g),
        describeCallback,
      );
      expect(result.classes, failureReport(result)).toEqual([]);
    },
    timeoutMs,
  );

  it(
    `handler.listen() on 127.0.0.1, keep-alive socket: ${runs.socket} cases`,
    async () => {
      const result = await runPart(
        TARGET,
        "socket",
        runs.socket,
        callback,
        (g) => checkCase((x) => socket.send(x), g),
        describeCallback,
      );
      await new Promise((resolve) => setImmediate(resolve));
      const late = logFailures();
      // The logger really was wired: one line per callback.
      expect(log.seen.get('"msg":"callback"')).toBe(true);
      expect([...result.classes, ...late], failureReport(result)).toEqual([]);
    },
    timeoutMs,
  );
});
