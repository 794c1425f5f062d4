/**
 * Fuzz campaign: the relay's sources (Alertmanager, Grafana, GitHub, generic JSON), each route with its own
 * credentials, fed with payloads built from the documented fixtures and from generated alerts, then
 * mutated; headers (Content-Type, Origin, Authorization, the route's secret header, GitHub's event and
 * signature) are mutated too. The relay runs as `dingbot relay` runs it: SQLite store, schedulers sending
 * to the emulator, its own secret-masking pino logger (captured). Properties: no 5xx unless the store is
 * really down, every refusal a 4xx with a reason, no secret (robot token and secret, route credentials,
 * GitHub secret) in any answer or log line, no prototype pollution, and a valid webhook is still accepted
 * afterwards.
 */
import { createHmac } from "node:crypto";
import { createRelay, createRelayLogger, parseRelayConfig, type Relay, secretsOf } from "dingbot-tools/relay";
import fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";
import {
  type EmulatorHarness,
  fixture,
  startEmulator,
  TOKEN,
  tempDir,
  WEBHOOK,
} from "../e2e/relay-harness.js";
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
  tryJson,
  withTimeout,
} from "./lib/http.js";
import { LogTap } from "./lib/log-tap.js";
import { contentType, extraHeaders, headerValue, method, type WireBody, wireBody } from "./lib/mutate.js";
import { NASTY_STRINGS } from "./lib/schema-arb.js";

const TARGET = "relay sources";
const ROBOT_SECRET = "SECrelayfuzzrobotsecret0123456789abcdefABCD";
const BEARER = "relay-fuzz-bearer-token-0123456789abcdef";
const HEADER_SECRET = "relay-fuzz-header-secret-0123456789abcdef";
const GITHUB_SECRET = "relay-fuzz-github-secret-0123456789abcdef";
const SECRETS = [TOKEN, ROBOT_SECRET, BEARER, HEADER_SECRET, GITHUB_SECRET];

let harness: EmulatorHarness;
let relay: Relay;
let socket: SocketClient;
let dir: ReturnType<typeof tempDir>;
const log = new LogTap();
const tally = new Tally();
const runs = split(runsPerTarget());
const timeoutMs = Math.max(120_000, runsPerTarget() * 30);

beforeAll(async () => {
  harness = await startEmulator({ rateLimit: 1_000_000 }, { keywords: ["告警"], secret: ROBOT_SECRET });
  dir = tempDir();
  const config = parseRelayConfig(
    `
store: { sqlite: ${dir.dir}/relay.db }
log: { level: debug }
limits: { maxBodyBytes: 65536 }
robots:
  ops: { webhook: "${WEBHOOK}", secret: "\${ROBOT_SECRET}", keywords: [告警] }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops], auth: { bearer: "\${BEARER}" } }
  - { path: /alertmanager, source: alertmanager, robots: [ops], match: { severity: critical }, atMobiles: ["13800000000"], auth: { bearer: "\${BEARER}" } }
  - { path: /grafana, source: grafana, robots: [ops], auth: { header: X-Relay-Token, secret: "\${HEADER_SECRET}" } }
  - { path: /github, source: github, robots: [ops], secret: "\${GH_SECRET}" }
  - { path: /generic, source: generic, robots: [ops], language: en }
`,
    `${dir.dir}/relay.yaml`,
    {
      ROBOT_SECRET,
      BEARER,
      HEADER_SECRET,
      GH_SECRET: GITHUB_SECRET,
      DINGTALK_BASE_URL: harness.url,
    },
  );
  const logger = createRelayLogger("debug", secretsOf(config), {
    write(line: string) {
      log.write(line);
    },
  });
  relay = await createRelay(config, { env: { DINGTALK_BASE_URL: harness.url }, logger });
  const url = await relay.start(0, "127.0.0.1");
  socket = new SocketClient(url);
});

afterAll(async () => {
  tally.print(TARGET);
  socket?.close();
  await relay?.stop();
  await harness?.close();
  dir?.cleanup();
});

// --- generators -------------------------------------------------------------------------------------------

const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 4 },
  fc.constantFrom(...NASTY_STRINGS),
);
const labels = fc.dictionary(
  fc.oneof(
    {
      arbitrary: fc.constantFrom("alertname", "severity", "instance", "atMobiles", "priority", "job"),
      weight: 3,
    },
    fc.string({ maxLength: 10 }),
  ),
  fc.oneof(
    { arbitrary: text, weight: 4 },
    fc.constantFrom("critical", "warning", "info"),
    fc.jsonValue({ maxDepth: 1 }),
  ),
  { maxKeys: 5 },
);
const promAlert = fc.record(
  {
    status: fc.constantFrom("firing", "resolved", "pending", "", 1),
    labels,
    annotations: labels,
    startsAt: fc.constantFrom("2026-11-26T02:00:00Z", "0001-01-01T00:00:00Z", "not a date", ""),
    endsAt: fc.constantFrom("0001-01-01T00:00:00Z", "2026-11-26T03:00:00Z", ""),
    generatorURL: fc.oneof(fc.constant("http://prometheus.example.com/graph"), text),
    fingerprint: text,
    panelURL: text,
    dashboardURL: text,
    silenceURL: text,
    valueString: text,
  },
  { requiredKeys: ["labels"] },
);
const alertmanagerBody = fc.record(
  {
    version: fc.constantFrom("4", "3", 4),
    groupKey: text,
    truncatedAlerts: fc.oneof(fc.nat(), fc.jsonValue({ maxDepth: 0 })),
    status: fc.constantFrom("firing", "resolved", "bogus"),
    receiver: text,
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: text,
    alerts: fc.array(promAlert, { maxLength: 5 }),
    title: text,
    message: text,
    state: text,
    orgId: fc.oneof(fc.nat(), fc.jsonValue({ maxDepth: 0 })),
  },
  { requiredKeys: ["alerts"] },
);
const fixtureBody = (names: string[]) =>
  fc.constantFrom(...names.map((name) => JSON.parse(fixture(name)) as unknown));
const githubEvents = [
  "push",
  "pull_request",
  "issues",
  "workflow_run",
  "release",
  "ping",
  "star",
  "",
  "__proto__",
];

/** A generated webhook before the credentials are applied. */
interface RelayCase {
  c: HttpCase;
  /** Which credentials to send: right, wrong, or none. */
  auth: "valid" | "wrong" | "none";
}

function routeCase(
  path: string,
  valid: fc.Arbitrary<unknown>,
  headers: fc.Arbitrary<Record<string, string>>,
): fc.Arbitrary<RelayCase> {
  return fc
    .record({
      method: method,
      path: fc.oneof(
        { arbitrary: fc.constant(path), weight: 12 },
        fc.constantFrom(`${path}/`, `${path}?x=1`, path.toUpperCase(), "/", "/metrics", "/healthz"),
      ),
      type: contentType,
      extra: extraHeaders,
      own: headers,
      body: wireBody(valid),
      auth: fc.oneof(
        { arbitrary: fc.constant("valid" as const), weight: 10 },
        fc.constantFrom("wrong" as const, "none" as const),
      ),
      origin: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 12 },
        fc.constantFrom("http://evil.example", "null", ""),
      ),
    })
    .map((r) => {
      const headers: Record<string, string> = { ...r.extra, ...r.own };
      delete headers.authorization;
      delete headers.origin;
      delete headers["x-hub-signature-256"];
      if (r.type !== undefined) headers["content-type"] = r.type;
      if (r.origin !== undefined) headers.origin = r.origin;
      return { c: { method: r.method, path: r.path, headers, body: r.body }, auth: r.auth };
    });
}

const relayCase: fc.Arbitrary<RelayCase> = fc.oneof(
  routeCase(
    "/alertmanager",
    fc.oneof(
      alertmanagerBody,
      fixtureBody(["alertmanager-firing.json", "alertmanager-mixed.json", "alertmanager-resolved.json"]),
    ),
    fc.constant({}),
  ),
  routeCase(
    "/grafana",
    fc.oneof(alertmanagerBody, fixtureBody(["grafana-firing.json", "grafana-resolved.json"])),
    fc.constant({}),
  ),
  routeCase(
    "/github",
    fixtureBody([
      "github-issues-opened.json",
      "github-ping.json",
      "github-pull_request-merged.json",
      "github-pull_request-opened.json",
      "github-push.json",
      "github-release-published.json",
      "github-workflow_run-completed.json",
    ]),
    fc.record({
      "x-github-event": fc.oneof({ arbitrary: fc.constantFrom(...githubEvents), weight: 5 }, headerValue),
    }),
  ),
  routeCase(
    "/generic",
    fc.oneof(
      fixtureBody(["generic.json"]),
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.dictionary(text, fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 }),
    ),
    fc.constant({}),
  ),
);

const sent = new WeakMap<RelayCase, HttpCase>();

/** The request with the credentials its route wants (or wrong ones). */
function materialize(r: RelayCase): HttpCase {
  const headers = { ...r.c.headers };
  const route = r.c.path.split("?")[0] ?? "";
  const wrong = r.auth === "wrong";
  if (r.auth !== "none") {
    if (route.startsWith("/alertmanager")) headers.authorization = `Bearer ${wrong ? "nope" : BEARER}`;
    if (route.startsWith("/grafana")) headers["x-relay-token"] = wrong ? "nope" : HEADER_SECRET;
    if (route.startsWith("/github")) {
      const digest = createHmac("sha256", wrong ? "nope" : GITHUB_SECRET)
        .update(r.c.body?.bytes ?? new Uint8Array())
        .digest("hex");
      headers["x-hub-signature-256"] = `sha256=${digest}`;
    }
  }
  const c = { ...r.c, headers };
  sent.set(r, c);
  return c;
}

const describeRelayCase = (r: RelayCase): string => describeCase(sent.get(r) ?? r.c);

// --- checks -----------------------------------------------------------------------------------------------

function logFailures(): Failure[] {
  const fresh = log.take();
  const failures: Failure[] = [];
  const leaked = findSecret(fresh, SECRETS);
  if (leaked) failures.push({ signature: "secret in the log", detail: `contains ${mask(leaked)}` });
  if (fresh.includes('"unexpected error"'))
    failures.push({
      signature: "unexpected error logged",
      detail: fresh.slice(fresh.indexOf("unexpected error") - 200, fresh.indexOf("unexpected error") + 100),
    });
  return failures;
}

let validCount = 0;
function validCase(): HttpCase {
  validCount += 1;
  const body = JSON.parse(fixture("alertmanager-firing.json")) as {
    alerts: Array<{ labels: Record<string, string> }>;
  };
  for (const alert of body.alerts) alert.labels.alertname = `FuzzValid${validCount}`;
  const bytes: WireBody = { bytes: Buffer.from(JSON.stringify(body)), note: "valid" };
  return {
    method: "POST",
    path: "/alertmanager",
    headers: { "content-type": "application/json", authorization: `Bearer ${BEARER}` },
    body: bytes,
  };
}

async function checkCase(send: (c: HttpCase) => Promise<Answer>, r: RelayCase): Promise<Failure[]> {
  const c = materialize(r);
  const failures: Failure[] = [];
  try {
    const answer = await send(c);
    const storeDown = async () => !(await relay.store.healthy().catch(() => false));
    const down = answer.status === 503 ? await storeDown() : false;
    failures.push(...checkAnswer(c, answer, { secrets: SECRETS, allow5xx: (a) => a.status === 503 && down }));
    const json = tryJson(answer.text) as { status?: string; reason?: string } | undefined;
    tally.add(`${routeOf(c)} → ${answer.status} ${json?.status ?? ""} ${(json?.reason ?? "").slice(0, 40)}`);
  } catch (error) {
    failures.push({ signature: `no answer on ${routeOf(c)}`, detail: String(error) });
  }
  try {
    const after = await send(validCase());
    if (
      after.status !== 200 ||
      (tryJson(after.text) as { status?: string } | undefined)?.status !== "accepted"
    ) {
      failures.push({
        signature: "valid webhook refused afterwards",
        detail: `${after.status} ${after.text.slice(0, 200)}`,
      });
    }
  } catch (error) {
    failures.push({ signature: "no answer to a valid webhook afterwards", detail: String(error) });
  }
  failures.push(...logFailures(), ...prototypeFailure());
  return failures;
}

async function inProcess(c: HttpCase): Promise<Answer> {
  return withTimeout(
    Promise.resolve(relay.app.request(toRequest("http://127.0.0.1:8090", c))).then(fromResponse),
    5000,
  );
}

httpCampaign({
  target: TARGET,
  runs,
  timeoutMs,
  arbitrary: relayCase,
  check: (part, r) => checkCase(part === "socket" ? (x) => socket.send(x) : inProcess, r),
  describeCase: describeRelayCase,
  // The schedulers really sent to the group (the relay was working all along).
  afterSocket: () =>
    expect(harness.emulator.store.listMessages({ accessToken: TOKEN }).length).toBeGreaterThan(0),
});
