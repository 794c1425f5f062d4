/**
 * Fuzz campaign: the emulator's DingTalk paths (custom robot webhook, sessionWebhook, every app-API endpoint
 * of the protocol table, the Stream gateway, unknown paths) with bodies, queries and headers generated from
 * the protocol's schemas and then mutated. Properties: no 5xx, every refusal a 4xx with a reason or HTTP 200
 * with errcode/errmsg, no secret in any answer or in the rejection log, no prototype pollution, and the
 * emulator still answers a valid request after every case. Bulk in-process (`app.request()`), a share over
 * a real keep-alive socket.
 */
import {
  ACCESS_TOKEN_HEADER,
  CARD_ENDPOINTS,
  ENDPOINTS,
  type EndpointSpec,
  GATEWAY_OPEN_PATH,
  GatewayOpenRequestSchema,
  MEDIA_ENDPOINTS,
  MSG_PARAM_SCHEMAS,
  RobotMessageBodySchema,
  sign,
} from "dingbot-sdk/protocol";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";
import { type Failure, httpCampaign, runsPerTarget, split, Tally } from "./lib/campaign.js";
import {
  type Answer,
  checkAnswer,
  describeCase,
  findSecret,
  fromResponse,
  type HttpCase,
  mask,
  prototypeFailure,
  SocketClient,
  toRequest,
  tryJson,
  withTimeout,
} from "./lib/http.js";
import { LogTap } from "./lib/log-tap.js";
import { contentType, extraHeaders, headerValue, method, type WireBody, wireBody } from "./lib/mutate.js";
import { fromSchema, type Hints } from "./lib/schema-arb.js";

const TARGET = "emulator DingTalk paths";
const T0 = Date.parse("2026-12-03T12:00:00Z");
const ROBOT_TOKEN = "fuzzrobottoken0123456789abcdef0123456789";
const ROBOT_SECRET = "SECfuzzrobotsecret0123456789abcdefABCDEF";
const PLAIN_TOKEN = "fuzzplaintoken0123456789abcdef0123456789";
const APP_KEY = "dingfuzzappkey01";
const APP_SECRET = "fuzz-app-secret-0123456789-ABCDEFGHIJKLMNOPQRSTUV";
const KEYWORD = "告警";
const CONVERSATION_ID = "cidFuzzGroup0123456789==";

let emulator: Emulator;
let baseUrl: string;
let socket: SocketClient;
let oldToken = "";
let newToken = "";
let sessionQuery = "";
let conversationId = "";
let rejectionsSeen = 0;
const tally = new Tally();
/** What the emulator logged through its `log` option (problems that concern no single request). */
const emulatorLog = new LogTap();

const runs = split(runsPerTarget());
const timeoutMs = Math.max(120_000, runsPerTarget() * 30);

async function inProcess(c: HttpCase): Promise<Answer> {
  return withTimeout(
    Promise.resolve(emulator.app.request(toRequest("http://127.0.0.1:8089", c))).then(fromResponse),
    5000,
  );
}

beforeAll(async () => {
  emulator = createEmulator({
    log: (line) => {
      emulatorLog.write(`${line}\n`);
    },
    now: () => T0,
    // The clock stands still, so every limit per time window is lifted: the cases must reach the handlers.
    rateLimit: 1_000_000_000,
    cardQps: 1_000_000_000,
    callbackAttempts: 1,
    callbackTimeoutMs: 200,
  });
  baseUrl = await emulator.listen(0);
  socket = new SocketClient(baseUrl);
  const { store } = emulator;
  const users = ["fuzzuser1", "fuzzuser2"].map((userId) => store.createUser({ userId }));
  const app = store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, mode: "stream", name: "fuzz-app" });
  const conversation = store.createConversation({
    conversationId: CONVERSATION_ID,
    type: "group",
    members: users.map((u) => u.userId),
    robots: [app.robotCode],
  });
  conversationId = conversation.conversationId;
  store.createRobot({
    accessToken: ROBOT_TOKEN,
    secret: ROBOT_SECRET,
    name: "fuzz-signed",
    keywords: [KEYWORD],
  });
  store.createRobot({ accessToken: PLAIN_TOKEN, name: "fuzz-plain" });
  const get = async (c: HttpCase) => tryJson((await inProcess(c)).text) as Record<string, string>;
  oldToken = (
    await get({
      method: "GET",
      path: `/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`,
      headers: {},
      body: undefined,
    })
  ).access_token as string;
  newToken = (
    await get({
      method: "POST",
      path: "/v1.0/oauth2/accessToken",
      headers: { "content-type": "application/json" },
      body: { bytes: Buffer.from(JSON.stringify({ appKey: APP_KEY, appSecret: APP_SECRET })), note: "valid" },
    })
  ).accessToken as string;
  // A person writes to the stream app (offline, so the message is queued): that mints a sessionWebhook.
  const chat = await get({
    method: "POST",
    path: `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
    headers: { "content-type": "application/json" },
    body: {
      bytes: Buffer.from(JSON.stringify({ from: "fuzzuser1", text: "hi", atRobot: app.robotCode })),
      note: "valid",
    },
  });
  sessionQuery = new URL(chat.sessionWebhook as string).search;
  expect(oldToken).toMatch(/\w{8}/);
  expect(newToken).toMatch(/\w{8}/);
  expect(sessionQuery).toMatch(/session=/);
});

afterAll(async () => {
  tally.print(TARGET);
  socket?.close();
  await emulator?.close();
});

/** Secrets of the world; the token endpoints may answer the app tokens they issue. */
function secretsFor(c: HttpCase): string[] {
  const issuing = c.path.startsWith("/gettoken") || c.path.startsWith("/v1.0/oauth2/accessToken");
  return [APP_SECRET, ROBOT_SECRET, ROBOT_TOKEN, PLAIN_TOKEN, ...(issuing ? [] : [oldToken, newToken])];
}

const signedQuery = (ts: number | string = T0) =>
  `access_token=${ROBOT_TOKEN}&timestamp=${ts}&sign=${encodeURIComponent(sign(ROBOT_SECRET, ts))}`;

// --- generators -------------------------------------------------------------------------------------------

const hints: Hints = {
  robotCode: [APP_KEY],
  userIds: [["fuzzuser1"], ["fuzzuser1", "fuzzuser2"], ["nobody"]],
  userid: ["fuzzuser1", "nobody"],
  userid_list: ["fuzzuser1", "fuzzuser1,fuzzuser2", ""],
  openConversationId: [CONVERSATION_ID, "cidUnknown=="],
  msgKey: Object.keys(MSG_PARAM_SCHEMAS),
  msgParam: [
    JSON.stringify({ content: "hello" }),
    JSON.stringify({ title: "t", text: "x" }),
    "{}",
    "not json",
    JSON.stringify({ content: "x".repeat(16_000) }),
  ],
  agent_id: [1_000_000_001],
  mobile: ["13800000001", "13800000002"],
  appkey: [APP_KEY],
  appsecret: [APP_SECRET],
  appKey: [APP_KEY],
  appSecret: [APP_SECRET],
  clientId: [APP_KEY],
  clientSecret: [APP_SECRET],
  content: [`${KEYWORD} fuzz`, KEYWORD],
  processQueryKey: ["pqk-unknown"],
  task_id: [1, 2, 999_999],
};

const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom("", "%", "%zz", "a+b", "x".repeat(3000)),
);

/** Query variants of the custom robot webhook. */
const robotQuery = fc.oneof(
  { arbitrary: fc.constant(signedQuery()), weight: 6 },
  { arbitrary: fc.constant(`access_token=${PLAIN_TOKEN}`), weight: 3 },
  fc.constantFrom(
    "",
    `access_token=${ROBOT_TOKEN}`,
    `access_token=${ROBOT_TOKEN}&access_token=${PLAIN_TOKEN}`,
    `access_token=${PLAIN_TOKEN}&access_token=${ROBOT_TOKEN}`,
    signedQuery(T0 - 3_600_001),
    signedQuery(T0 + 3_600_001),
    `${signedQuery()}&timestamp=1`,
    `access_token=${ROBOT_TOKEN}&timestamp=${T0}&sign=`,
    `access_token=${ROBOT_TOKEN}&timestamp=abc&sign=abc`,
    `access_token=${ROBOT_TOKEN}&timestamp=${T0}&sign=${"A".repeat(44)}`,
    "access_token=",
    "access_token=%",
  ),
  queryValue.map((v) => `access_token=${encodeURIComponent(v)}`),
  fc
    .tuple(queryValue, queryValue)
    .map(
      ([t, s]) =>
        `access_token=${ROBOT_TOKEN}&timestamp=${encodeURIComponent(t)}&sign=${encodeURIComponent(s)}`,
    ),
);

const robotBody = wireBody(fromSchema(RobotMessageBodySchema, hints));

function headersWith(type: string | undefined, extra: Record<string, string>): Record<string, string> {
  return { ...extra, ...(type !== undefined ? { "content-type": type } : {}) };
}

const robotSend: fc.Arbitrary<HttpCase> = fc
  .record({ method, query: robotQuery, type: contentType, extra: extraHeaders, body: robotBody })
  .map((r) => ({
    method: r.method,
    path: `/robot/send?${r.query}`,
    headers: headersWith(r.type, r.extra),
    body: r.body,
  }));

const sessionSend: fc.Arbitrary<HttpCase> = fc
  .record({
    method,
    query: fc.oneof(
      { arbitrary: fc.constant("valid"), weight: 5 },
      fc.constantFrom("", "?session=", "?session=00", "?session=%", "?session[]=x"),
      queryValue.map((v) => `?session=${encodeURIComponent(v)}`),
    ),
    type: contentType,
    extra: extraHeaders,
    body: robotBody,
  })
  .map((r) => ({
    method: r.method,
    path: `/robot/sendBySession${r.query === "valid" ? sessionQuery : r.query}`,
    headers: headersWith(r.type, r.extra),
    body: r.body,
  }));

/** Requests to one app-API endpoint, built from its request schema. */
function endpointCase(spec: EndpointSpec): fc.Arbitrary<HttpCase> {
  const value = fromSchema(spec.request, hints);
  const auth = fc.oneof(
    { arbitrary: fc.constant("valid"), weight: 8 },
    fc.constantFrom("none", "empty", "other-style", "garbage"),
  );
  return fc
    .record({
      method: fc.oneof({ arbitrary: fc.constant(spec.method), weight: 8 }, method),
      auth,
      garbage: headerValue,
      params: value,
      body: wireBody(value),
      type: contentType,
      form: fc.boolean(),
      extra: extraHeaders,
    })
    .map((r) => {
      const query = new URLSearchParams();
      const headers = headersWith(r.type, r.extra);
      const token =
        r.auth === "valid"
          ? spec.auth === "header"
            ? newToken
            : oldToken
          : r.auth === "other-style"
            ? spec.auth === "header"
              ? oldToken
              : newToken
            : r.auth === "garbage"
              ? r.garbage
              : "";
      if (spec.auth === "query" && r.auth !== "none") query.set("access_token", token);
      if (spec.auth === "header" && r.auth !== "none") headers[ACCESS_TOKEN_HEADER] = token;
      let body: WireBody | undefined = r.body;
      if (spec.params === "query") {
        if (r.params && typeof r.params === "object" && !Array.isArray(r.params)) {
          for (const [k, v] of Object.entries(r.params))
            query.set(k, typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
        }
        body = r.method === "GET" ? undefined : r.body;
      } else if (r.form && spec.host === "oapi" && r.params && typeof r.params === "object") {
        // topapi also takes forms (urllib's default): nested values as JSON text.
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(r.params))
          form.set(k, typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = { bytes: Buffer.from(form.toString()), note: "form" };
      }
      const qs = query.toString();
      return { method: r.method, path: `${spec.path}${qs ? `?${qs}` : ""}`, headers, body };
    });
}

const gatewayCase: fc.Arbitrary<HttpCase> = fc
  .record({
    method,
    type: contentType,
    extra: extraHeaders,
    body: wireBody(fromSchema(GatewayOpenRequestSchema, hints)),
  })
  .map((r) => ({
    method: r.method,
    path: GATEWAY_OPEN_PATH,
    headers: headersWith(r.type, r.extra),
    body: r.body,
  }));

const strayCase: fc.Arbitrary<HttpCase> = fc
  .record({
    method,
    path: fc.oneof(
      fc.constantFrom(
        "/topapi/nope",
        "/v1.0/nope",
        "/v1.0/robot/",
        "/robot/send/",
        "/ROBOT/SEND",
        "/robot//send",
        "/%2e%2e/robot/send",
        "/gettoken/x",
        "/v1.0/oauth2/accessToken/",
        "/media/upload",
        "/media/upload?type=image",
      ),
      fc.webPath(),
    ),
    extra: extraHeaders,
    body: wireBody(fc.jsonValue({ maxDepth: 2 })),
  })
  .map((r) => ({
    method: r.method,
    path: r.path.startsWith("/") ? r.path : `/${r.path}`,
    headers: r.extra,
    body: r.body,
  }));

const anyCase: fc.Arbitrary<HttpCase> = fc.oneof(
  { arbitrary: robotSend, weight: 6 },
  { arbitrary: sessionSend, weight: 3 },
  { arbitrary: gatewayCase, weight: 2 },
  { arbitrary: strayCase, weight: 1 },
  // Every endpoint of the protocol's tables: the app API, the cards (card_1_0) and the JSON media call.
  ...[...Object.values(ENDPOINTS), ...Object.values(CARD_ENDPOINTS), ...Object.values(MEDIA_ENDPOINTS)].map(
    (spec) => ({
      arbitrary: endpointCase(spec as EndpointSpec),
      weight: 1,
    }),
  ),
);

/** New lines of the emulator's own log must not carry a secret. */
function emulatorLogFailures(): Failure[] {
  const fresh = emulatorLog.take();
  if (fresh) tally.add(`emulator log: ${fresh.slice(0, 80)}`);
  const leaked = findSecret(fresh, [APP_SECRET, ROBOT_SECRET, ROBOT_TOKEN, PLAIN_TOKEN, oldToken, newToken]);
  return leaked ? [{ signature: "secret in the emulator's log", detail: `contains ${mask(leaked)}` }] : [];
}

// --- checks -----------------------------------------------------------------------------------------------

/** Valid requests, one per kind of path; case i is followed by valid request i mod n. */
function validRequests(): Array<{ c: HttpCase; ok: (a: Answer) => boolean }> {
  const json = (value: unknown): WireBody => ({ bytes: Buffer.from(JSON.stringify(value)), note: "valid" });
  const okErrcode = (a: Answer) =>
    a.status === 200 && (tryJson(a.text) as { errcode?: number })?.errcode === 0;
  return [
    {
      c: {
        method: "POST",
        path: `/robot/send?${signedQuery()}`,
        headers: { "content-type": "application/json" },
        body: json({ msgtype: "text", text: { content: `${KEYWORD} ok` } }),
      },
      ok: okErrcode,
    },
    {
      c: {
        method: "POST",
        path: `/robot/sendBySession${sessionQuery}`,
        headers: { "content-type": "application/json" },
        body: json({ msgtype: "markdown", markdown: { title: "t", text: "ok" } }),
      },
      ok: okErrcode,
    },
    {
      c: {
        method: "GET",
        path: `/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`,
        headers: {},
        body: undefined,
      },
      ok: okErrcode,
    },
    {
      c: {
        method: "POST",
        path: `/topapi/v2/user/get?access_token=${oldToken}`,
        headers: { "content-type": "application/json" },
        body: json({ userid: "fuzzuser1" }),
      },
      ok: okErrcode,
    },
    {
      c: {
        method: "POST",
        path: "/v1.0/robot/oToMessages/batchSend",
        headers: { "content-type": "application/json", [ACCESS_TOKEN_HEADER]: newToken },
        body: json({
          robotCode: APP_KEY,
          userIds: ["fuzzuser1"],
          msgKey: "sampleText",
          msgParam: JSON.stringify({ content: "ok" }),
        }),
      },
      ok: (a) =>
        a.status === 200 &&
        typeof (tryJson(a.text) as { processQueryKey?: unknown })?.processQueryKey === "string",
    },
    {
      c: {
        method: "POST",
        path: GATEWAY_OPEN_PATH,
        // Without Accept the gateway answers XML, as DingTalk's does; the SDKs ask for JSON.
        headers: { "content-type": "application/json", accept: "application/json" },
        body: json({
          clientId: APP_KEY,
          clientSecret: APP_SECRET,
          subscriptions: [{ type: "CALLBACK", topic: "/v1.0/im/bot/messages/get" }],
        }),
      },
      ok: (a) => a.status === 200 && typeof (tryJson(a.text) as { ticket?: unknown })?.ticket === "string",
    },
  ];
}

/** New rejection-log entries must not carry a secret either (the chat page shows them). */
function rejectionLogFailures(): Failure[] {
  const fresh = emulator.store.rejections.slice(rejectionsSeen);
  rejectionsSeen = emulator.store.rejections.length;
  const leaked = findSecret(JSON.stringify(fresh), [
    APP_SECRET,
    ROBOT_SECRET,
    ROBOT_TOKEN,
    PLAIN_TOKEN,
    oldToken,
    newToken,
  ]);
  return leaked ? [{ signature: "secret in the rejection log", detail: `contains ${mask(leaked)}` }] : [];
}

async function checkCase(
  send: (c: HttpCase) => Promise<Answer>,
  c: HttpCase,
  index: number,
): Promise<Failure[]> {
  const failures: Failure[] = [];
  let answer: Answer | undefined;
  try {
    answer = await send(c);
  } catch (error) {
    failures.push({ signature: `no answer on ${c.method} ${c.path.split("?")[0]}`, detail: String(error) });
  }
  if (answer) {
    failures.push(...checkAnswer(c, answer, { secrets: secretsFor(c) }));
    const json = tryJson(answer.text) as { errcode?: unknown; code?: unknown } | undefined;
    tally.add(
      `${c.method} ${c.path.split("?")[0]} → ${answer.status} ${String(json?.errcode ?? json?.code ?? "")}`,
    );
  }
  failures.push(...rejectionLogFailures(), ...prototypeFailure(), ...emulatorLogFailures());
  const valid = validRequests();
  const next = valid[index % valid.length] as (typeof valid)[number];
  try {
    const after = await send(next.c);
    if (!next.ok(after)) {
      failures.push({
        signature: `valid ${next.c.method} ${next.c.path.split("?")[0]} refused afterwards`,
        detail: `${after.status} ${after.text.slice(0, 200)}`,
      });
    }
  } catch (error) {
    failures.push({ signature: "no answer to a valid request afterwards", detail: String(error) });
  }
  return failures;
}

httpCampaign({
  target: TARGET,
  runs,
  timeoutMs,
  arbitrary: anyCase,
  check: (part, c, i) => checkCase(part === "socket" ? (x) => socket.send(x) : inProcess, c, i),
  describeCase: describeCase,
});
