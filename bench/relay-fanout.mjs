// Issue 15.4, relay fan-out: one Alertmanager webhook routed to 500 robots (SQLite store, durable delivery),
// against a bare loop of keep-alive POSTs of the same 500 bodies from one process, in interleaved rounds.
// Figures: time from the POST until the emulator has recorded all 500 messages, deliveries/s, the relay's
// CPU and its peak RSS / heap during the fan-out. Goal: ≥ 0.5× the bare loop and ≥ 1,000 deliveries/s.
//
// Four processes, so no two contenders share an event loop: this one (orchestrates, posts the webhook), the
// emulator (DingTalk's own limit, 20 per minute per robot, which one message per robot does not hit), and per
// round either a relay or the bare sender. Each round has 500 fresh robots on the emulator (and a fresh relay
// and database), so no rate window or send log carries over; one robot in five is signed (加签), and the
// bare loop signs those too. Each round sends twice to its robots: the first fan-out (a fresh relay's code is
// not compiled yet; reported apart) and the measured one, as a running relay sees its next notification.
// The bare loop (node:http, keep-alive agent, the relay's exact body) keeps 64 requests in flight, the
// relay's own bound (relay/send-slots.ts); 64 was also the bare loop's fastest of 64/128/256/500.
// This same file is every child: `node relay-fanout.mjs emulator|relay|bare`.
// Run: npm run bench -- relay-fanout
//   env BENCH_ROUNDS (5), BENCH_ROBOTS (500), BENCH_CONCURRENCY (the bare loop's requests in flight, 64),
//   BENCH_PROFILE=DIR (the relay and bare children write CPU profiles of the measured part, 100 µs sampling)

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { getHeapStatistics } from "node:v8";
import { recordGoal } from "./_goals.mjs";

const ROBOTS = Number(process.env.BENCH_ROBOTS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SIGNED_EVERY = 5;

/** Reads JSON lines from a stream; `next()` resolves with the next one. */
function lines(stream) {
  const queue = [];
  const waiting = [];
  createInterface({ input: stream }).on("line", (line) => {
    const value = JSON.parse(line);
    const w = waiting.shift();
    if (w) w(value);
    else queue.push(value);
  });
  return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r)));
}

/** This file as a child process in `mode`; `send` writes a JSON line, `next` reads one. */
function child(mode, args = [], nodeFlags = []) {
  const proc = spawn(
    process.execPath,
    [
      ...nodeFlags,
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      new URL(import.meta.url).pathname,
      mode,
      ...args,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const next = lines(proc.stdout);
  return {
    proc,
    next,
    send: (value) => proc.stdin.write(`${JSON.stringify(value)}\n`),
    async end() {
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      proc.stdin.end();
      await exited;
    },
  };
}

/**
 * BENCH_PROFILE=DIR: a CPU profile (100 µs sampling) of the measured part alone, not of start-up, written
 * to DIR/relay-fanout-KIND-PID-N.cpuprofile. Undefined without BENCH_PROFILE.
 */
async function startProfiler() {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return undefined;
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  let n = 0;
  return {
    start: () => post("Profiler.start"),
    async stop(kind) {
      const { profile } = await post("Profiler.stop");
      writeFileSync(
        join(dir, `relay-fanout-${kind}-${process.pid}-${n++}.cpuprofile`),
        JSON.stringify(profile),
      );
    },
  };
}

/** Commands from the parent, one JSON line each; replies on stdout. */
function serveCommands(handle) {
  createInterface({ input: process.stdin }).on("line", async (line) => {
    const reply = await handle(JSON.parse(line));
    if (reply !== undefined) process.stdout.write(`${JSON.stringify(reply)}\n`);
  });
}

function alertmanagerBody() {
  const alert = (name, instance, severity) => ({
    status: "firing",
    labels: { alertname: name, severity, instance, job: "node" },
    annotations: {
      summary: `${name} on ${instance}`,
      description: "p99 latency of api-1 is 2.3s (threshold 1s)",
    },
    startsAt: "2026-12-03T02:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: `http://prometheus.example.com/graph?g0.expr=${name}`,
    fingerprint: `${name}-${instance}`,
  });
  return JSON.stringify({
    version: "4",
    groupKey: '{}:{alertname="HighRequestLatency"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "dingtalk-all",
    groupLabels: { alertname: "HighRequestLatency" },
    commonLabels: { alertname: "HighRequestLatency", job: "node" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com:9093",
    alerts: [
      alert("HighRequestLatency", "web-1:9100", "critical"),
      alert("HighRequestLatency", "web-2:9100", "warning"),
      alert("HighRequestLatency", "web-3:9100", "warning"),
    ],
  });
}

// ---------------------------------------------------------------------------------------------- emulator
async function emulatorChild() {
  const { createEmulator } = await import("dingbot-tools/emulator");
  // DingTalk's limits: 20 per minute per robot, then a 10-minute block.
  const emulator = createEmulator();
  const { store } = emulator;
  let expect;
  store.events.on("message", (m) => {
    if (!expect || !m.accessToken?.startsWith(expect.prefix)) return;
    expect.count += 1;
    if (expect.count === 1) expect.first = m.time;
    if (expect.count === expect.n) {
      const done = {
        first: expect.first,
        last: m.time,
        rejections: store.rejections.length - expect.rejections,
      };
      expect = undefined;
      process.stdout.write(`${JSON.stringify(done)}\n`);
    }
  });
  const base = await emulator.listen(0);
  process.stdout.write(`${JSON.stringify({ base, pid: process.pid })}\n`);
  serveCommands((cmd) => {
    if (cmd.cmd === "robots") {
      const robots = [];
      for (let i = 0; i < cmd.n; i++) {
        const accessToken = `${cmd.prefix}${String(i).padStart(4, "0")}`;
        const secret = i % SIGNED_EVERY === 0 ? `SEC${accessToken}0123456789abcdef` : undefined;
        store.createRobot({ accessToken, name: `robot ${accessToken}`, ...(secret ? { secret } : {}) });
        robots.push({ accessToken, ...(secret ? { secret } : {}) });
      }
      return robots;
    }
    if (cmd.cmd === "expect") {
      expect = { prefix: cmd.prefix, n: cmd.n, count: 0, rejections: store.rejections.length };
      return { ok: true };
    }
    if (cmd.cmd === "body") return store.listMessages({ accessToken: cmd.accessToken })[0]?.body;
    if (cmd.cmd === "rejections") return store.rejections.slice(-5);
  });
  process.stdin.on("end", async () => {
    await emulator.close();
    process.exit(0);
  });
}

// ------------------------------------------------------------------------------------------------- relay
async function relayChild(configPath) {
  const { createRelay, createRelayLogger, loadRelayConfig, secretsOf } = await import("dingbot-tools/relay");
  // The relay's own pino logger, as `dingbot relay` runs it, at warn (on stderr: stdout carries the replies).
  const config = loadRelayConfig(configPath);
  const stderr = { write: (line) => process.stderr.write(line) };
  const logger = createRelayLogger("warn", secretsOf(config), stderr);
  const relay = await createRelay(config, { logger });
  const url = await relay.start(0);
  let heapPeak = 0;
  let sampler;
  const profiler = await startProfiler();
  const sentCount = () => {
    let n = 0;
    for (const robot of relay.config.robots.keys()) n += relay.metrics.sent.get({ robot, kind: "single" });
    return n;
  };
  /** The emulator records a message before the relay has its answer and removes the entry: waits for that. */
  const settled = async (expected) => {
    const until = Date.now() + 5000;
    while (sentCount() < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return sentCount();
  };
  process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
  serveCommands(async (cmd) => {
    if (cmd.cmd === "mark") {
      // The heap is sampled on the relay's own loop every 20 ms. getHeapStatistics, not memoryUsage: that one
      // also reads the RSS from /proc and cost the relay about 5 % of its CPU in this bench.
      heapPeak = getHeapStatistics().used_heap_size;
      sampler = setInterval(() => {
        heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size);
      }, 20);
      await profiler?.start();
      return { heapBefore: heapPeak, rssBefore: process.memoryUsage().rss };
    }
    if (cmd.cmd === "settled") return { sent: await settled(cmd.expected) };
    if (cmd.cmd === "report") {
      const sent = await settled(cmd.expected);
      clearInterval(sampler);
      heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size);
      await profiler?.stop("relay");
      return { heapPeak, sent };
    }
  });
  process.stdin.on("end", async () => {
    await relay.stop();
    process.exit(0);
  });
}

// -------------------------------------------------------------------------------------------------- bare
async function bareChild() {
  const { Agent, request } = await import("node:http");
  const { signWebhookUrl } = await import("dingbot-sdk/protocol");
  const profiler = await startProfiler();
  // The same keep-alive node:http path the library's WebhookClient takes, without validation or limiter; one
  // agent for the process, as the relay has, so the measured loop reuses the first loop's connections.
  let agent;
  process.stdin.on("end", () => process.exit(0));
  serveCommands(async (cmd) => {
    const { base, robots, body, concurrency } = cmd;
    await profiler?.start();
    agent ??= new Agent({ keepAlive: true, maxSockets: concurrency });
    const payload = JSON.stringify(body);
    const length = Buffer.byteLength(payload);
    const started = Date.now();
    let next = 0;
    let errors = 0;
    const post = (robot) =>
      new Promise((resolve, reject) => {
        const plain = `${base}/robot/send?access_token=${robot.accessToken}`;
        const url = robot.secret ? signWebhookUrl(plain, robot.secret, Date.now()) : plain;
        const req = request(
          url,
          {
            method: "POST",
            agent,
            headers: { "content-type": "application/json; charset=utf-8", "content-length": length },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("end", () => resolve(JSON.parse(text).errcode === 0));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(payload);
      });
    const worker = async () => {
      while (next < robots.length) {
        const robot = robots[next++];
        if (!(await post(robot).catch(() => false))) errors += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, robots.length) }, worker));
    const ended = Date.now();
    await profiler?.stop("bare");
    return { started, ended, errors };
  });
}

// ------------------------------------------------------------------------------------------------ parent
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** utime + stime of a process in seconds (Linux /proc; clock ticks are 1/100 s). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM (peak RSS) and VmRSS of a process, in bytes. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
}

/** Resets a process's peak RSS to its current RSS (Linux: write 5 to clear_refs). */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

function relayConfig(base, robots, dbPath) {
  const names = robots.map((_, i) => `r${i}`);
  const config = {
    store: { sqlite: dbPath },
    baseUrl: base,
    robots: Object.fromEntries(
      robots.map((robot, i) => [
        names[i],
        {
          webhook: `https://oapi.dingtalk.com/robot/send?access_token=${robot.accessToken}`,
          ...(robot.secret ? { secret: robot.secret } : {}),
        },
      ]),
    ),
    routes: [{ path: "/alertmanager", source: "alertmanager", robots: names }],
  };
  // JSON is YAML.
  return JSON.stringify(config, null, 1);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "bench-relay-fanout-"));
  const emulator = child("emulator");
  const { base, pid: emulatorPid } = await emulator.next();
  const webhook = alertmanagerBody();
  let body;
  let round = 0;

  async function freshRobots() {
    const prefix = `fan${String(round++).padStart(2, "0")}x`;
    emulator.send({ cmd: "robots", prefix, n: ROBOTS });
    return { prefix, robots: await emulator.next() };
  }

  async function expectAll(prefix) {
    emulator.send({ cmd: "expect", prefix, n: ROBOTS });
    await emulator.next();
  }

  /** POSTs the webhook to the relay; resolves when the emulator has recorded all its messages. */
  async function fanOut(url, prefix) {
    await expectAll(prefix);
    const posted = Date.now();
    const response = await fetch(`${url}/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: webhook,
    });
    const answer = await response.json();
    if (answer.messages !== ROBOTS) throw new Error(`relay answered ${JSON.stringify(answer)}`);
    const done = await emulator.next();
    return { ms: done.last - posted, firstMs: done.first - posted, rejections: done.rejections };
  }

  /**
   * A fresh relay on fresh robots: a first fan-out (cold: the code is not compiled yet, nothing was sent),
   * then the measured one with the same webhook, as a running relay would see its next notification.
   */
  async function relayRound() {
    const { prefix, robots } = await freshRobots();
    const configPath = join(dir, `${prefix}.json`);
    writeFileSync(configPath, relayConfig(base, robots, join(dir, `${prefix}.db`)));
    const relay = child("relay", [configPath]);
    const { url, pid } = await relay.next();
    // Let the relay settle (tsx compiles lazily; the schedulers make their first steps).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const cold = await fanOut(url, prefix);
    relay.send({ cmd: "settled", expected: ROBOTS });
    await relay.next();
    relay.send({ cmd: "mark" });
    const { heapBefore, rssBefore } = await relay.next();
    const peakReset = resetPeak(pid);
    const cpuRelay = cpuSeconds(pid);
    const cpuEmulator = cpuSeconds(emulatorPid);
    const warm = await fanOut(url, prefix);
    const relayCpu = cpuSeconds(pid) - cpuRelay;
    const emulatorCpu = cpuSeconds(emulatorPid) - cpuEmulator;
    const mem = memory(pid);
    relay.send({ cmd: "report", expected: 2 * ROBOTS });
    const report = await relay.next();
    await relay.end();
    if (!body) {
      emulator.send({ cmd: "body", accessToken: robots[0].accessToken });
      body = await emulator.next();
    }
    return {
      ...warm,
      coldMs: cold.ms,
      relayCpu,
      emulatorCpu,
      rssPeak: peakReset ? mem.hwm : undefined,
      rssBefore,
      heapBefore,
      heapPeak: report.heapPeak,
      sent: report.sent,
    };
  }

  /**
   * Fresh robots and a fresh bare sender: a first loop over them (unmeasured, as the relay's first fan-out),
   * then the measured one. A new process each round, as the relay's, so both are measured with their code
   * compiled by the same 500 sends.
   */
  async function bareRound() {
    const { prefix, robots } = await freshRobots();
    const bare = child("bare");
    const loop = async () => {
      await expectAll(prefix);
      bare.send({ base, robots, body, concurrency: CONCURRENCY });
      const result = await bare.next();
      if (result.errors > 0) throw new Error(`bare loop: ${result.errors} sends failed`);
      const done = await emulator.next();
      return {
        ms: done.last - result.started,
        firstMs: done.first - result.started,
        rejections: done.rejections,
      };
    };
    await loop();
    const cpuBare = cpuSeconds(bare.proc.pid);
    const cpuEmulator = cpuSeconds(emulatorPid);
    const measured = await loop();
    const figures = {
      ...measured,
      relayCpu: cpuSeconds(bare.proc.pid) - cpuBare,
      emulatorCpu: cpuSeconds(emulatorPid) - cpuEmulator,
    };
    await bare.end();
    return figures;
  }

  try {
    // Warm-up (not counted): the relay's first round also gives the bare loop the exact body it sent.
    await relayRound();
    await bareRound();
    const figures = { relay: [], bare: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so a drift of the machine's load does not favour one.
      const order = r % 2 === 0 ? ["relay", "bare"] : ["bare", "relay"];
      for (const which of order)
        figures[which].push(which === "relay" ? await relayRound() : await bareRound());
    }
    const perS = (f) => (ROBOTS / f.ms) * 1000;
    const relayRate = median(figures.relay.map(perS));
    const bareRate = median(figures.bare.map(perS));
    const mib = (b) => (b / 1048576).toFixed(1);
    console.log(
      `fan-out: 1 webhook → ${ROBOTS} robots (1 in ${SIGNED_EVERY} signed), ${ROUNDS} interleaved rounds, ` +
        `median; bare loop concurrency ${CONCURRENCY}`,
    );
    for (const [name, list] of Object.entries(figures)) {
      const rate = median(list.map(perS));
      console.log(
        `  ${name.padEnd(5)} all delivered in ${median(list.map((f) => f.ms))
          .toFixed(0)
          .padStart(5)} ms ` +
          `(first after ${median(list.map((f) => f.firstMs))} ms)  ${rate.toFixed(0).padStart(5)} deliveries/s  ` +
          `ratio ${(rate / bareRate).toFixed(2)}  sender CPU ${median(list.map((f) => f.relayCpu * 1000)).toFixed(0)} ms ` +
          `(${((median(list.map((f) => f.relayCpu)) / ROBOTS) * 1e6).toFixed(0)} µs/delivery)  emulator CPU ` +
          `${median(list.map((f) => f.emulatorCpu * 1000)).toFixed(0)} ms  rejections ${list.reduce((n, f) => n + f.rejections, 0)}`,
      );
      console.log(`        ms by round: ${list.map((f) => f.ms).join(" ")}`);
    }
    const rel = figures.relay;
    const cold = median(rel.map((f) => f.coldMs));
    console.log(
      `  relay's first fan-out after start (cold code, not in the ratio): ${cold} ms, ` +
        `${((ROBOTS / cold) * 1000).toFixed(0)} deliveries/s (by round: ${rel.map((f) => f.coldMs).join(" ")})`,
    );
    console.log(
      `  relay memory (measured fan-out): RSS before ${mib(median(rel.map((f) => f.rssBefore)))} MiB, peak ` +
        `${rel[0].rssPeak === undefined ? "n/a" : mib(median(rel.map((f) => f.rssPeak)))} MiB; heap before ` +
        `${mib(median(rel.map((f) => f.heapBefore)))} MiB, peak ${mib(median(rel.map((f) => f.heapPeak)))} MiB ` +
        `(relay counted ${rel.map((f) => f.sent).join("/")} sends)`,
    );
    // Each round's relay against the bare loop run next to it: on a shared machine the load drifts between
    // rounds, and a pair sees about the same.
    const paired = figures.relay.map((f, r) => figures.bare[r].ms / f.ms);
    const cpuRatio =
      median(figures.bare.map((f) => f.relayCpu)) /
      Math.max(median(figures.relay.map((f) => f.relayCpu)), 0.001);
    console.log(
      `  ratio relay/bare ${(relayRate / bareRate).toFixed(2)} (goal ≥ 0.5), relay ${relayRate.toFixed(0)} deliveries/s (goal ≥ 1000)`,
    );
    console.log(
      `  paired ratio per round ${paired.map((x) => x.toFixed(2)).join(" ")}, median ${median(paired).toFixed(2)}; ` +
        `sender CPU per delivery bare/relay ${cpuRatio.toFixed(2)}`,
    );
    recordGoal({
      bench: "relay-fanout",
      id: "ratio",
      issue: 15,
      figure: `relay: one Alertmanager webhook to ${ROBOTS} robots (SQLite) vs a bare keep-alive POST loop, until all delivered`,
      value: Number(median(paired).toFixed(2)),
      unit: "×",
      goal: { op: ">=", target: 0.5 },
      detail: `median of paired rounds ${paired.map((x) => x.toFixed(2)).join(", ")}; ratio of medians ${(relayRate / bareRate).toFixed(2)}`,
    });
    recordGoal({
      bench: "relay-fanout",
      id: "deliveries-per-second",
      issue: 15,
      figure: `relay fan-out to ${ROBOTS} robots: deliveries/s (median of rounds)`,
      value: Math.round(relayRate),
      unit: "",
      goal: { op: ">=", target: 1000 },
      detail: `all delivered in ${median(rel.map((f) => f.ms)).toFixed(0)} ms; relay RSS peak ${rel[0].rssPeak === undefined ? "n/a" : mib(median(rel.map((f) => f.rssPeak)))} MiB, heap peak ${mib(median(rel.map((f) => f.heapPeak)))} MiB`,
    });
  } finally {
    await emulator.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === "emulator") await emulatorChild();
else if (mode === "relay") await relayChild(process.argv[3]);
else if (mode === "bare") await bareChild();
else await main();
