/**
 * Fuzz campaign: the emulator's control API (`/_emulator/*`) and its page, with generated inputs for every
 * route mutated like the DingTalk paths, plus hostile Content-Type, Origin and Host headers (the control API
 * must refuse cross-site and DNS-rebinding requests). Properties: no 5xx, every refusal a 4xx with a reason,
 * a refused request changes nothing, no secret in refusals, the snapshot, the rejection log or the page, no
 * prototype pollution, and a valid request still works afterwards.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import fc from "fast-check";
import { afterAll, beforeAll } from "vitest";
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
  routeOf,
  SocketClient,
  toRequest,
  withTimeout,
} from "./lib/http.js";
import { LogTap } from "./lib/log-tap.js";
import { contentType, extraHeaders, method, wireBody } from "./lib/mutate.js";
import { NASTY_STRINGS } from "./lib/schema-arb.js";

const TARGET = "emulator control API";
const T0 = Date.parse("2026-12-03T12:00:00Z");
const ROBOT_TOKEN = "ctlfuzzrobottoken0123456789abcdef012345";
const ROBOT_SECRET = "SECctlfuzzrobotsecret0123456789abcdefAB";
const APP_KEY = "dingctlfuzzapp01";
const APP_SECRET = "ctl-fuzz-app-secret-0123456789-ABCDEFGHIJKLMNOPQ";
const STREAM_APP = "dingctlfuzzstream";
const STREAM_SECRET = "ctl-fuzz-stream-secret-0123456789-ABCDEFGHIJKLM";
const CONVERSATION = "cidCtlFuzzGroup==";
const SECRETS = [ROBOT_TOKEN, ROBOT_SECRET, APP_SECRET, STREAM_SECRET];
/** The world is reset and seeded again this often, so lists stay small over 100,000 cases. */
const RESEED_EVERY = 500;
/** Generators are built before the bot listens: its URL is swapped in when a case is sent. */
const BOT_URL_PLACEHOLDER = "BOT_URL/cb";

let emulator: Emulator;
let baseUrl: string;
let host: string;
let socket: SocketClient;
let bot: http.Server;
let botUrl: string;
let rejectionsSeen = 0;
const tally = new Tally();
/** What the emulator logged through its `log` option (problems that concern no single request). */
const emulatorLog = new LogTap();

const runs = split(runsPerTarget());
const timeoutMs = Math.max(120_000, runsPerTarget() * 40);

function seed(): void {
  const { store } = emulator;
  store.reset();
  rejectionsSeen = 0;
  for (const userId of ["ctluser1", "ctluser2"]) store.createUser({ userId });
  store.createApp({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    mode: "http",
    callbackUrl: `${botUrl}/cb`,
    name: "ctl-http",
  });
  store.createApp({ appKey: STREAM_APP, appSecret: STREAM_SECRET, mode: "stream", name: "ctl-stream" });
  store.createConversation({
    conversationId: CONVERSATION,
    type: "group",
    members: ["ctluser1", "ctluser2"],
    robots: [APP_KEY, STREAM_APP],
  });
  store.createRobot({
    accessToken: ROBOT_TOKEN,
    secret: ROBOT_SECRET,
    name: "ctl-robot",
    conversationId: CONVERSATION,
  });
}

beforeAll(async () => {
  // The HTTP-mode app's bot: answers every callback at once with "empty".
  bot = http.createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"msgtype":"empty"}'),
    );
  });
  await new Promise<void>((resolve) => bot.listen(0, "127.0.0.1", resolve));
  botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}`;
  // Pushes to an app without a Stream connection wait redeliverAfterMs × streamMaxDeliveries for one
  // (3 minutes by default): shortened so such a case costs 50 ms.
  emulator = createEmulator({
    log: (line) => {
      emulatorLog.write(`${line}\n`);
    },
    now: () => T0,
    callbackAttempts: 1,
    callbackTimeoutMs: 300,
    rateLimit: 1_000_000_000,
    redeliverAfterMs: 10,
    streamMaxDeliveries: 1,
  });
  baseUrl = await emulator.listen(0);
  host = new URL(baseUrl).host;
  socket = new SocketClient(baseUrl);
  seed();
});

afterAll(async () => {
  tally.print(TARGET);
  socket?.close();
  await emulator?.close();
  await new Promise((resolve) => bot?.close(resolve));
});

// --- generators -------------------------------------------------------------------------------------------

const str = (...known: string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...known), weight: 4 },
    { arbitrary: fc.string({ maxLength: 30 }), weight: 2 },
    fc.constantFrom(...NASTY_STRINGS),
    fc.jsonValue({ maxDepth: 1 }),
  );
const strs = (...known: string[]) =>
  fc.oneof(fc.array(str(...known), { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }));
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const clean = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const robotBody = fc
  .record({
    accessToken: opt(str("newtoken0123456789", ROBOT_TOKEN)),
    secret: opt(str("SECnew0123456789")),
    name: opt(str("机器人")),
    keywords: opt(strs("告警")),
    ipWhitelist: opt(strs("127.0.0.1", "10.0.0.0/8", "::1", "300.1.1.1", "1.2.3.4/33")),
    conversationId: opt(str(CONVERSATION, "cidnew==")),
  })
  .map(clean);
const appBody = fc
  .record({
    appKey: opt(str("dingnewapp", APP_KEY)),
    appSecret: opt(str("s3cr3t-new")),
    robotCode: opt(str("dingnewrobot")),
    agentId: opt(fc.oneof(fc.integer(), fc.constantFrom(1.5, -1, 2 ** 60), fc.jsonValue({ maxDepth: 0 }))),
    name: opt(str("应用")),
    mode: opt(str("http", "stream")),
    callbackUrl: opt(
      str(
        BOT_URL_PLACEHOLDER,
        "http://127.0.0.1:1/",
        "ftp://x",
        "javascript:alert(1)",
        "http://[::1",
        "http://169.254.169.254/",
      ),
    ),
  })
  .map(clean);
const userBody = fc
  .record({
    userId: opt(str("ctluser3", "ctluser1")),
    mobile: opt(str("13800000009", "+86 138")),
    name: opt(str("张三")),
    unionId: opt(str("union1")),
    isAdmin: opt(fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 0 }))),
  })
  .map(clean);
const conversationBody = fc
  .record({
    conversationId: opt(str("cidnew2==", CONVERSATION)),
    type: opt(str("single", "group")),
    title: opt(str("群")),
    members: opt(strs("ctluser1", "ctluser2", "nobody")),
    robots: opt(strs(APP_KEY, STREAM_APP, "dingnobody")),
  })
  .map(clean);
const chatBody = fc
  .record({
    from: opt(str("ctluser1", "nobody")),
    text: opt(str("hello", "  ")),
    atRobot: opt(str(APP_KEY, STREAM_APP, "dingnobody")),
  })
  .map(clean);
const faultBody = fc
  .record({
    kind: opt(str("http5xx", "reset", "delay", "errcode")),
    accessToken: opt(str(ROBOT_TOKEN)),
    count: opt(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.jsonValue({ maxDepth: 0 }))),
    status: opt(fc.oneof(fc.integer({ min: 100, max: 999 }), fc.jsonValue({ maxDepth: 0 }))),
    delayMs: opt(fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constantFrom(1e12, 1.5))),
    errcode: opt(fc.oneof(fc.integer(), fc.jsonValue({ maxDepth: 0 }))),
    errmsg: opt(str("boom")),
  })
  .map(clean);
const readBody = fc.record({ userId: opt(str("ctluser1", "nobody")) }).map(clean);
const streamBody = fc
  .record({
    appKey: opt(str(STREAM_APP, APP_KEY, "dingnobody")),
    how: opt(str("frame", "drop", "silence")),
    connectionId: opt(str("conn1")),
    eventType: opt(str("chat_update_title")),
    data: opt(fc.jsonValue({ maxDepth: 2 })),
    body: opt(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.record({ msgtype: fc.constant("text"), text: fc.record({ content: fc.string() }) }),
      ),
    ),
  })
  .map(clean);

const mediaBody = fc
  .record({
    type: opt(str("image", "file", "voice", "video")),
    fileName: opt(str("a.png", "../../etc/passwd", "")),
    base64: opt(fc.oneof(fc.base64String({ maxLength: 64 }), str("iVBORw0KGgo=", "!!!"))),
    contentType: opt(str("image/png", "text/html")),
  })
  .map(clean);

/** Path templates; `:conv`, `:token`, `:app`, `:id` are filled from known or random values. */
const routes: Array<{ method: string; path: string; body?: fc.Arbitrary<unknown> }> = [
  { method: "POST", path: "/_emulator/robots", body: robotBody },
  { method: "GET", path: "/_emulator/robots" },
  { method: "GET", path: "/_emulator/robots/:token" },
  { method: "GET", path: "/_emulator/messages?since=:since&accessToken=:token&conversationId=:conv" },
  { method: "GET", path: "/_emulator/rejections?since=:since" },
  { method: "POST", path: "/_emulator/reset" },
  { method: "POST", path: "/_emulator/apps", body: appBody },
  { method: "GET", path: "/_emulator/apps" },
  { method: "GET", path: "/_emulator/apps/:app" },
  { method: "POST", path: "/_emulator/users", body: userBody },
  { method: "GET", path: "/_emulator/users" },
  { method: "POST", path: "/_emulator/conversations", body: conversationBody },
  { method: "GET", path: "/_emulator/conversations" },
  { method: "GET", path: "/_emulator/conversations/:conv" },
  { method: "POST", path: "/_emulator/conversations/:conv/messages", body: chatBody },
  { method: "POST", path: "/_emulator/faults", body: faultBody },
  { method: "GET", path: "/_emulator/faults" },
  { method: "DELETE", path: "/_emulator/faults" },
  { method: "DELETE", path: "/_emulator/faults/:id" },
  { method: "POST", path: "/_emulator/messages/:id/read", body: readBody },
  { method: "GET", path: "/_emulator/snapshot" },
  { method: "GET", path: "/_emulator/events" },
  { method: "GET", path: "/_emulator/stream/connections?appKey=:app" },
  { method: "POST", path: "/_emulator/stream/disconnect", body: streamBody },
  { method: "POST", path: "/_emulator/stream/events", body: streamBody },
  { method: "POST", path: "/_emulator/stream/callbacks", body: streamBody },
  { method: "GET", path: "/" },
  { method: "GET", path: "/_emulator/web/:asset" },
  { method: "GET", path: "/_emulator/nope" },
  // Media and cards (issues 13, 14): generic JSON bodies, mutated.
  { method: "POST", path: "/_emulator/media", body: mediaBody },
  { method: "GET", path: "/_emulator/media/:id" },
  { method: "GET", path: "/_emulator/card-templates" },
  { method: "POST", path: "/_emulator/card-templates", body: fc.jsonValue({ maxDepth: 3 }) },
  { method: "GET", path: "/_emulator/card-permissions" },
  { method: "POST", path: "/_emulator/card-permissions", body: fc.jsonValue({ maxDepth: 3 }) },
  { method: "GET", path: "/_emulator/card-permissions/:app" },
  { method: "GET", path: "/_emulator/cards" },
  { method: "GET", path: "/_emulator/cards/:id" },
  { method: "POST", path: "/_emulator/cards/:id/actions", body: fc.jsonValue({ maxDepth: 3 }) },
];

const segment = (...known: string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...known), weight: 3 },
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    fc.constantFrom("..", "%2e%2e", "%2F", "%00", "__proto__", "constructor", "x".repeat(3000)),
  );

/** Origin header: absent (CLI clients), the emulator's own, or a foreign site. */
const origin = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  { arbitrary: fc.constant("SAME"), weight: 3 },
  fc.constantFrom(
    "null",
    "http://evil.example",
    "http://127.0.0.1.evil.example",
    "http://localhost:1",
    "file://",
    "",
  ),
);
/** Host header: the emulator's own, or a DNS-rebinding name (not empty: node:http would send its own). */
const hostHeader = fc.oneof(
  { arbitrary: fc.constant("SAME"), weight: 8 },
  fc.constantFrom("evil.example", "localhost", "127.0.0.1", "[::1]", "127.0.0.1.nip.io", "LOCALHOST:80"),
);

const controlCase: fc.Arbitrary<HttpCase> = fc
  .record({
    route: fc.constantFrom(...routes),
    method: fc.oneof({ arbitrary: fc.constant("ROUTE"), weight: 10 }, method),
    conv: segment(CONVERSATION, "cidnew=="),
    token: segment(ROBOT_TOKEN, "newtoken0123456789"),
    app: segment(APP_KEY, STREAM_APP),
    id: segment("msg1", "fault1"),
    since: fc.constantFrom("", "0", String(T0), "2026-12-03T12:00:00Z", "yesterday", "-1", "1e999"),
    asset: fc.constantFrom(
      "app.js",
      "style.css",
      "markdown-it.min.js",
      "../package.json",
      "%2e%2e%2fpackage.json",
      "nope.js",
    ),
    type: contentType,
    origin,
    hostHeader,
    extra: extraHeaders,
  })
  .chain((r) => wireBody(r.route.body ?? fc.jsonValue({ maxDepth: 2 })).map((body) => ({ ...r, body })))
  .map((r) => {
    const path = r.route.path
      .replace(":conv", r.conv)
      .replace(":token", r.token)
      .replace(":app", r.app)
      .replace(":id", r.id)
      .replace(":since", encodeURIComponent(r.since))
      .replace(":asset", r.asset);
    const headers: Record<string, string> = { ...r.extra };
    if (r.type !== undefined) headers["content-type"] = r.type;
    if (r.origin !== undefined) headers.origin = r.origin;
    else delete headers.origin;
    headers.host = r.hostHeader;
    return { method: r.method === "ROUTE" ? r.route.method : r.method, path, headers, body: r.body };
  });

/** Fills in the placeholders that depend on the running servers. */
function resolveCase(c: HttpCase): HttpCase {
  const headers = { ...c.headers };
  if (headers.origin === "SAME") headers.origin = baseUrl;
  if (headers.host === "SAME") headers.host = host;
  const body = c.body && {
    ...c.body,
    bytes: Buffer.from(Buffer.from(c.body.bytes).toString("latin1").replaceAll("BOT_URL", botUrl), "latin1"),
  };
  return { ...c, headers, body };
}

/** New lines of the emulator's own log must not carry a secret. */
function emulatorLogFailures(): Failure[] {
  const fresh = emulatorLog.take();
  if (fresh) tally.add(`emulator log: ${fresh.slice(0, 80)}`);
  const leaked = findSecret(fresh, SECRETS);
  return leaked ? [{ signature: "secret in the emulator's log", detail: `contains ${mask(leaked)}` }] : [];
}

// --- checks -----------------------------------------------------------------------------------------------

function counts(): string {
  const { store } = emulator;
  return JSON.stringify([
    store.robots.size,
    store.apps.size,
    store.users.size,
    store.conversations.size,
    store.messages.length,
  ]);
}

const DOCUMENTED_SECRET_FREE = [
  "/_emulator/snapshot",
  "/_emulator/rejections",
  "/_emulator/events",
  "/_emulator/web/",
  "/",
];

/**
 * Why the control API must refuse a request whatever its path and body (the cross-site rules of issue 11.3),
 * or undefined. Host names are checked only over a socket: `app.request()` cannot come from a browser.
 */
function mustRefuse(c: HttpCase, overSocket: boolean): string | undefined {
  const path = c.path.split("?")[0] ?? "";
  if (path !== "/" && !path.startsWith("/_emulator/")) return undefined;
  const host = c.headers.host ?? "";
  const name = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host.trim())?.[1]?.toLowerCase();
  if (overSocket && !["localhost", "127.0.0.1", "[::1]"].includes(name ?? ""))
    return `Host ${JSON.stringify(host)}`;
  const origin = c.headers.origin;
  if (origin !== undefined) {
    let same = false;
    try {
      same = new URL(origin).host === new URL(`http://${host}`).host;
    } catch {
      same = false;
    }
    if (!same) return `Origin ${JSON.stringify(origin)} on Host ${JSON.stringify(host)}`;
  }
  const site = c.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") return `Sec-Fetch-Site: ${site}`;
  const type = (c.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  const bodyBytes = c.body && c.method !== "GET" && c.method !== "HEAD" ? c.body.bytes.byteLength : 0;
  // In-process requests carry no Content-Length, so the emulator cannot tell they have a body; and no
  // browser sends them anyway.
  if (
    overSocket &&
    ["POST", "PUT", "PATCH", "DELETE"].includes(c.method) &&
    bodyBytes > 0 &&
    type !== "application/json"
  ) {
    return `a ${bodyBytes}-byte body declared ${JSON.stringify(c.headers["content-type"] ?? "(none)")}`;
  }
  return undefined;
}

async function checkCase(
  send: (c: HttpCase) => Promise<Answer>,
  generated: HttpCase,
  index: number,
  overSocket: boolean,
): Promise<Failure[]> {
  if (index % RESEED_EVERY === 0 || !emulator.store.apps.has(APP_KEY)) seed();
  const c = resolveCase(generated);
  const failures: Failure[] = [];
  const before = counts();
  let answer: Answer | undefined;
  try {
    answer = await send(c);
  } catch (error) {
    failures.push({ signature: `no answer on ${routeOf(c)}`, detail: String(error) });
  }
  if (answer) {
    const pathOnly = c.path.split("?")[0] ?? "";
    const secretFree =
      answer.status >= 400 ||
      DOCUMENTED_SECRET_FREE.some((p) => (p === "/" ? pathOnly === "/" : pathOnly.startsWith(p)));
    failures.push(...checkAnswer(c, answer, { secrets: secretFree ? SECRETS : [] }));
    tally.add(`${c.method} ${pathOnly.replace(/^(\/_emulator\/[a-z]+).*/, "$1")} → ${answer.status}`);
    const refuse = mustRefuse(c, overSocket);
    if (refuse && answer.status < 400) {
      failures.push({
        signature: `cross-site request answered ${answer.status} on ${routeOf(c)}`,
        detail: `must be refused: ${refuse}; answered ${answer.text.slice(0, 200)}`,
      });
    }
    if (answer.status >= 400 && counts() !== before) {
      failures.push({
        signature: `refused ${routeOf(c)} changed the world`,
        detail: `${answer.status}; counts ${before} → ${counts()}`,
      });
    }
  }
  const fresh = emulator.store.rejections.slice(rejectionsSeen);
  rejectionsSeen = emulator.store.rejections.length;
  const leaked = findSecret(JSON.stringify(fresh), SECRETS);
  if (leaked) failures.push({ signature: "secret in the rejection log", detail: `contains ${mask(leaked)}` });
  failures.push(...prototypeFailure(), ...emulatorLogFailures());
  failures.push(...(await validAfterwards(send, index)));
  return failures;
}

async function validAfterwards(send: (c: HttpCase) => Promise<Answer>, index: number): Promise<Failure[]> {
  // A fuzzed POST /_emulator/reset (accepted) empties the world; the valid requests need it back.
  const { store } = emulator;
  if (!store.conversations.has(CONVERSATION) || !store.apps.has(APP_KEY) || !store.users.has("ctluser1"))
    seed();
  const json = { "content-type": "application/json", host };
  const valid: Array<{ c: HttpCase; status: number }> = [
    { c: { method: "GET", path: "/_emulator/robots", headers: { host }, body: undefined }, status: 200 },
    {
      c: {
        method: "POST",
        path: "/_emulator/faults",
        headers: json,
        body: {
          bytes: Buffer.from(JSON.stringify({ kind: "http5xx", accessToken: "nobody-token", count: 1 })),
          note: "valid",
        },
      },
      status: 201,
    },
    {
      c: {
        method: "POST",
        path: `/_emulator/conversations/${encodeURIComponent(CONVERSATION)}/messages`,
        headers: { ...json, origin: baseUrl },
        body: {
          bytes: Buffer.from(JSON.stringify({ from: "ctluser1", text: "ok", atRobot: APP_KEY })),
          note: "valid",
        },
      },
      status: 200,
    },
    { c: { method: "GET", path: "/_emulator/snapshot", headers: { host }, body: undefined }, status: 200 },
  ];
  const next = valid[index % valid.length] as (typeof valid)[number];
  try {
    const after = await send(next.c);
    if (after.status !== next.status) {
      return [
        {
          signature: `valid ${routeOf(next.c)} refused afterwards`,
          detail: `${after.status} ${after.text.slice(0, 200)}`,
        },
      ];
    }
  } catch (error) {
    return [{ signature: "no answer to a valid request afterwards", detail: String(error) }];
  }
  return [];
}

async function inProcess(c: HttpCase): Promise<Answer> {
  return withTimeout(Promise.resolve(emulator.app.request(toRequest(baseUrl, c))).then(fromResponse), 5000);
}

httpCampaign({
  target: TARGET,
  runs,
  timeoutMs,
  arbitrary: controlCase,
  check: (part, c, i) =>
    part === "socket" ? checkCase((x) => socket.send(x), c, i, true) : checkCase(inProcess, c, i, false),
  describeCase: describeCase,
});
