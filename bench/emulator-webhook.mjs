// Throughput of the emulator's POST /robot/send (plain robot, and a 加签 robot with a pre-signed URL),
// against a bare node:http server that reads the body, parses the JSON and answers {"errcode":0,…} — the
// least any webhook endpoint does. Users point their own load tests at the emulator, so the goal is the
// emulator as a server: ≥ 0.6× the bare server for the signed robot (issue 15).
//
// Each server runs in its own child process (bench/_emulator-webhook-server.mjs) and autocannon in this one.
// Until issue 15 all three shared one process, so every request's load-generator CPU was charged to the
// server under test and a faster server mostly bought autocannon more time: the ratio measured the sum.
// With two cores, the server now has a core to itself and the load generator the other one.
//
// Per target: req/s, p99, and the server process's CPU per request (from /proc/PID/stat, 10 ms ticks),
// which is the least noisy figure on a shared VM. Interleaved rounds (order alternating), medians, ratios
// against the bare server of the same run. Steal and load average are printed per round.
// Run: npm run bench -- emulator-webhook   (env BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_CONNECTIONS=20;
// BENCH_PROFILE=DIR writes a --cpu-prof of the emulator process there; BENCH_TARGETS=bare,signed picks targets;
// BENCH_BEFORE=DIR adds target `before`, the 加签 robot of the emulator in DIR, a copy of
// packages/dingbot-tools/src from another commit, e.g. `git archive REV packages/dingbot-tools/src | tar -x`)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { recordGoal } from "./_goals.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const PROFILE = process.env.BENCH_PROFILE;
const body = JSON.stringify({ msgtype: "text", text: { content: "构建完成 build #1234 passed" } });
const headers = { "content-type": "application/json" };
const OK = '{"errcode":0,"errmsg":"ok"}';

/** Starts a server child and resolves with it, its pid, and the lines it prints. */
async function startServer(which, profile, emulatorSrc) {
  const args = ["--conditions=dingbot:source", "--import", "tsx"];
  if (profile) args.push("--cpu-prof", `--cpu-prof-dir=${profile}`);
  args.push(new URL("_emulator-webhook-server.mjs", import.meta.url).pathname, which);
  const env = emulatorSrc ? { ...process.env, BENCH_EMULATOR_SRC: emulatorSrc } : process.env;
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"], env });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once("line", (line) => resolve(JSON.parse(line))));
  return { child, info: await next(), next };
}

const bare = await startServer("bare");
const emulator = await startServer("emulator", PROFILE);
const before = process.env.BENCH_BEFORE
  ? await startServer("emulator", undefined, resolve(process.env.BENCH_BEFORE))
  : undefined;
const allTargets = {
  bare: { label: "bare node:http", url: `${bare.info.url}/robot/send?access_token=x`, pid: bare.child.pid },
  plain: {
    label: "emulator plain",
    url: `${emulator.info.base}/robot/send?access_token=plain`,
    pid: emulator.child.pid,
  },
  signed: {
    label: "emulator 加签",
    url: `${emulator.info.base}/robot/send?access_token=signed&${emulator.info.signedQuery}`,
    pid: emulator.child.pid,
  },
  ...(before && {
    before: {
      label: "before 加签",
      url: `${before.info.base}/robot/send?access_token=signed&${before.info.signedQuery}`,
      pid: before.child.pid,
    },
  }),
};
const wanted = (process.env.BENCH_TARGETS ?? `bare,plain,signed${before ? ",before" : ""}`).split(",");
const targets = Object.fromEntries(Object.entries(allTargets).filter(([key]) => wanted.includes(key)));

// Every target must give DingTalk's success answer, byte for byte, before it is measured.
for (const { label, url } of Object.values(targets)) {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  if (response.status !== 200 || text !== OK) throw new Error(`${label}: ${response.status} ${text}`);
}

const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (10 ms)
};
const cpuTotals = () => {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { steal: cpu[7] ?? 0, total: cpu.reduce((a, b) => a + b, 0) };
};
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function load({ url, pid }, seconds) {
  const ticks0 = cpuTicks(pid);
  const steal0 = cpuTotals();
  const result = await autocannon({
    url,
    method: "POST",
    headers,
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const steal1 = cpuTotals();
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    cpuUs: ((cpuTicks(pid) - ticks0) * 10_000) / Math.max(1, result.requests.total),
    bad: result.errors + result.non2xx + result.timeouts,
    steal: (100 * (steal1.steal - steal0.steal)) / Math.max(1, steal1.total - steal0.total),
  };
}

for (const target of Object.values(targets)) await load(target, 2); // warm-up: JIT, sockets
const figures = Object.fromEntries(
  Object.keys(targets).map((k) => [k, { rps: [], p99: [], cpuUs: [], bad: 0 }]),
);
console.log(
  `connections=${CONNECTIONS} duration=${SECONDS}s rounds=${ROUNDS} (interleaved, order alternating)`,
);
for (let round = 0; round < ROUNDS; round++) {
  const keys = Object.keys(targets);
  if (round % 2 === 1) keys.reverse();
  const parts = [];
  for (const key of keys) {
    const f = await load(targets[key], SECONDS);
    figures[key].rps.push(f.rps);
    figures[key].p99.push(f.p99);
    figures[key].cpuUs.push(f.cpuUs);
    figures[key].bad += f.bad;
    parts.push(
      `${key} ${f.rps.toFixed(0)} req/s ${f.cpuUs.toFixed(1)} µs/req (steal ${f.steal.toFixed(1)}%)`,
    );
  }
  console.log(`round ${round + 1} (load ${loadAverage()}): ${parts.join(" | ")}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Paired by round (the targets of a round ran one after another, under the same load): the median of the
// rounds' ratios, steadier on a busy machine than a ratio of medians taken from different rounds.
const pairedRatios = (key, field) => figures[key][field].map((x, i) => x / figures.bare[field][i]);
for (const [key, f] of Object.entries(figures)) {
  const paired = figures.bare && key !== "bare";
  console.log(
    `${targets[key].label.padEnd(16)} req/s ${median(f.rps).toFixed(0).padStart(7)}` +
      (paired
        ? `  ratio ${median(pairedRatios(key, "rps")).toFixed(2)} (rounds ${pairedRatios(key, "rps")
            .map((x) => x.toFixed(2))
            .join(", ")})`
        : "") +
      `  p99 ${median(f.p99)} ms  server CPU ${median(f.cpuUs).toFixed(1)} µs/req` +
      (paired ? ` (${median(pairedRatios(key, "cpuUs")).toFixed(2)}× bare)` : "") +
      `  errors ${f.bad}`,
  );
}
// The goal is recorded from full runs only: a profiled run (BENCH_PROFILE) is slowed by the profiler.
if (!PROFILE && figures.bare && figures.signed && figures.plain) {
  const ratio = (key) => median(pairedRatios(key, "rps"));
  const rounds = (key) =>
    pairedRatios(key, "rps")
      .map((x) => x.toFixed(2))
      .join(", ");
  const cpu = (key) => median(pairedRatios(key, "cpuUs"));
  const common = `${ROUNDS} interleaved rounds × ${SECONDS} s, ${CONNECTIONS} connections; servers in their own processes`;
  recordGoal({
    bench: "emulator-webhook",
    id: "signed-vs-bare",
    issue: 15,
    figure: "emulator `POST /robot/send` req/s, 加签 robot, vs a bare node:http server doing `JSON.parse`",
    value: Number(ratio("signed").toFixed(2)),
    unit: "×",
    goal: { op: ">=", target: 0.6 },
    detail: `median of paired rounds ${rounds("signed")}; server CPU per request ${cpu("signed").toFixed(2)}× bare; ${common}`,
  });
  recordGoal({
    bench: "emulator-webhook",
    id: "plain-vs-bare",
    issue: 15,
    figure: "emulator `POST /robot/send` req/s, plain robot, vs a bare node:http server doing `JSON.parse`",
    value: Number(ratio("plain").toFixed(2)),
    unit: "×",
    detail: `median of paired rounds ${rounds("plain")}; server CPU per request ${cpu("plain").toFixed(2)}× bare; ${common}`,
  });
}
bare.child.stdin.end();
emulator.child.stdin.end();
before?.child.stdin.end();
const stats = await emulator.next();
console.log(`emulator: ${stats.messages} messages accepted, ${stats.rejections} rejections (expected 0)`);
