// The relay, two figures.
// 1. Ingest: Alertmanager webhooks accepted with a durable commit (SQLite WAL, synchronous=NORMAL; the 200
//    is sent after the commit), against a bare node:http server that reads the body, parses the JSON and
//    answers 200, measured in interleaved rounds of the same run (autocannon). Goal: ≥ 0.5× the bare server.
// 2. Storm: 1,000 alerts in 10 s to one robot against the emulator with a shortened rate window (20 per 5 s):
//    messages sent, digests, limit utilisation while there is a backlog, and the longest wait.
// Run: npm run bench -- relay   (env BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_STORM=0 to skip)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { createEmulator } from "dingbot-tools/emulator";
import { createRelay, parseRelayConfig } from "dingbot-tools/relay";
import { recordGoal } from "./_goals.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), "bench-relay-"));

function alertmanagerBody(name, severity = "critical") {
  return JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="${name}"}`,
    truncatedAlerts: 0,
    status: "firing",
    receiver: "dingtalk",
    groupLabels: { alertname: name },
    commonLabels: { alertname: name, severity },
    commonAnnotations: { summary: `${name} on web-1` },
    externalURL: "http://alertmanager.example.com:9093",
    alerts: [
      {
        status: "firing",
        labels: { alertname: name, severity, instance: "web-1:9100", job: "node" },
        annotations: {
          summary: `${name} on web-1`,
          description: "p99 latency of api-1 is 2.3s (threshold 1s)",
        },
        startsAt: "2026-11-26T02:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: `http://prometheus.example.com/graph?g0.expr=${name}`,
        fingerprint: "a1b2c3d4e5f60718",
      },
    ],
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** utime + stime of a process in seconds (Linux /proc; clock ticks are 1/100 s). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Starts bench/_relay-ingest-server.mjs in its own process and resolves with its URL. */
function startServer(kind) {
  const child = spawn(
    process.execPath,
    [
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      new URL("./_relay-ingest-server.mjs", import.meta.url).pathname,
      kind,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", (chunk) => resolve({ url: String(chunk).trim(), child }));
  });
}

async function ingest() {
  // Each server runs in its own process and autocannon in this one, so neither shares an event loop with
  // the load generator.
  const bare = await startServer("bare");
  const relay = await startServer("relay");
  const body = alertmanagerBody("HighRequestLatency");
  const targets = {
    "bare node:http": `${bare.url}/alertmanager`,
    "relay (durable)": `${relay.url}/alertmanager`,
  };
  const run = (url, duration) =>
    autocannon({
      url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      connections: CONNECTIONS,
      duration,
    });
  for (const url of Object.values(targets)) await run(url, 1);
  const pids = { "bare node:http": bare.child.pid, "relay (durable)": relay.child.pid };
  const figures = Object.fromEntries(
    Object.keys(targets).map((k) => [k, { rps: [], p99: [], perCpu: [], errors: 0 }]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of Object.entries(targets)) {
      const cpuBefore = cpuSeconds(pids[name]);
      const result = await run(url, SECONDS);
      const cpu = cpuSeconds(pids[name]) - cpuBefore;
      figures[name].rps.push(result.requests.average);
      figures[name].p99.push(result.latency.p99);
      figures[name].perCpu.push(result.requests.total / Math.max(cpu, 0.01));
      figures[name].errors += result.errors + result.non2xx;
    }
  }
  const baseline = median(figures["bare node:http"].rps);
  const baselineCpu = median(figures["bare node:http"].perCpu);
  console.log(
    `ingest: connections=${CONNECTIONS} duration=${SECONDS}s rounds=${ROUNDS} (interleaved, median; servers in child processes)`,
  );
  for (const [name, f] of Object.entries(figures)) {
    const rps = median(f.rps);
    const perCpu = median(f.perCpu);
    console.log(
      `  ${name.padEnd(16)} req/s ${rps.toFixed(0).padStart(6)}  ratio ${(rps / baseline).toFixed(2)}  ` +
        `req per server-CPU-s ${perCpu.toFixed(0).padStart(6)}  ratio ${(perCpu / baselineCpu).toFixed(2)}  ` +
        `p99 ${median(f.p99)} ms  non-2xx/errors ${f.errors}  (req/s by round: ${f.rps.map((x) => x.toFixed(0)).join(" ")})`,
    );
  }
  const durable = figures["relay (durable)"];
  recordGoal({
    bench: "relay",
    id: "ingest-vs-bare",
    issue: 7,
    figure: "Alertmanager ingest with durable commit vs bare `node:http` (req/s, median of rounds)",
    value: Number((median(durable.rps) / baseline).toFixed(2)),
    unit: "×",
    goal: { op: ">=", target: 0.5 },
    detail: `p99 ${median(durable.p99)} ms vs ${median(figures["bare node:http"].p99)} ms; per server CPU-second ${(median(durable.perCpu) / baselineCpu).toFixed(2)}×; non-2xx/errors ${durable.errors}; ${ROUNDS} rounds × ${SECONDS} s`,
  });
  for (const { child } of [bare, relay]) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin.end();
    await exited;
  }
}

async function storm() {
  const LIMIT = 20;
  const WINDOW_MS = 5000;
  const emulator = createEmulator({ rateLimit: LIMIT, rateWindowMs: WINDOW_MS, blockMs: 20_000 });
  const base = await emulator.listen(0);
  emulator.store.createRobot({ accessToken: "storm" });
  const config = parseRelayConfig(
    `store: { sqlite: ${dir}/storm.db }
baseUrl: ${base}
limits: { rateLimit: ${LIMIT}, rateWindowMs: ${WINDOW_MS}, maxWaitMs: 4000 }
robots: { ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=storm" } }
routes: [{ path: /alertmanager, source: alertmanager, robots: [ops] }]`,
    join(dir, "relay.yaml"),
    {},
  );
  const relay = await createRelay(config, { logger: quiet });
  const url = await relay.start(0);
  const names = ["NodeDown", "HighCPU", "DiskFull", "HighLatency", "ErrorRate", "OOMKilled"];
  // Backlog: some accepted alert has waited longer than a send takes (250 ms) and is still queued.
  const backlogged = [];
  const sampler = setInterval(() => {
    const t = Date.now();
    void relay.store.ready("ops", Number.MAX_SAFE_INTEGER, 1).then(([oldest]) => {
      if (oldest && t - oldest.createdAt > 250) backlogged.push(t);
    });
  }, 10);
  const started = Date.now();
  const posts = [];
  for (let i = 0; i < 1000; i++) {
    const wait = started + i * 10 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    posts.push(
      fetch(`${url}/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: alertmanagerBody(names[i % names.length]),
      }),
    );
  }
  const statuses = await Promise.all(posts.map(async (p) => (await p).status));
  const stormEnd = Date.now();
  while ((await relay.store.depth("ops")) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  clearInterval(sampler);
  const times = emulator.store.listMessages({ accessToken: "storm" }).map((m) => m.time);
  const windowed = backlogged.filter((t) => t >= times[0] + WINDOW_MS);
  const occupied = windowed.reduce(
    (n, t) => n + times.filter((at) => at > t - WINDOW_MS && at <= t).length,
    0,
  );
  // The same window, sampled from the end of the first window to the end of the storm, backlog or not.
  let plain = 0;
  let plainSamples = 0;
  for (let t = times[0] + WINDOW_MS; t <= stormEnd; t += 10) {
    plain += times.filter((at) => at > t - WINDOW_MS && at <= t).length;
    plainSamples += 1;
  }
  const digests = relay.metrics.sent.get({ robot: "ops", kind: "digest" });
  console.log(
    `storm: 1000 alerts in ${((stormEnd - started) / 1000).toFixed(1)} s, ${statuses.filter((s) => s === 200).length} accepted`,
  );
  console.log(
    `  messages ${times.length} (digests ${digests}, alerts folded ${relay.metrics.folded.get({ robot: "ops" })}), ` +
      `limit utilisation while backlogged ${((occupied / (windowed.length * LIMIT)) * 100).toFixed(1)}% ` +
      `(${windowed.length} samples; over the whole storm ${((plain / (plainSamples * LIMIT)) * 100).toFixed(1)}%), ` +
      `max wait ${relay.metrics.maxWaitMs} ms (bound 4000), rate-limit rejections ${emulator.store.rejections.filter((r) => r.reason === "rate-limit").length}`,
  );
  const utilisation = Number(((occupied / (windowed.length * LIMIT)) * 100).toFixed(1));
  const rejections = emulator.store.rejections.filter((r) => r.reason === "rate-limit").length;
  recordGoal({
    bench: "relay",
    id: "storm-utilisation",
    issue: 7,
    figure: "storm, 1,000 alerts in 10 s: rate-limit utilisation while backlogged",
    value: utilisation,
    unit: "%",
    goal: { op: ">=", target: 95 },
    detail: `${windowed.length} samples; ${times.length} messages, ${digests} digests, max wait ${relay.metrics.maxWaitMs} ms`,
  });
  recordGoal({
    bench: "relay",
    id: "storm-rate-limit-errors",
    issue: 7,
    figure: "storm: rate-limit errcodes from the emulator",
    value: rejections,
    unit: "",
    goal: { op: "==", target: 0 },
  });
  await relay.stop();
  await emulator.close();
}

try {
  await ingest();
  if (process.env.BENCH_STORM !== "0") await storm();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
