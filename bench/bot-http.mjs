// Issue 4 part 7: verified and routed text replies/s of `dingbot serve examples/answer-bot.ts` (the real CLI
// process, from source) against a bare node:http server that reads the body and answers a fixed text reply
// without verification. Same run, same load tool (autocannon), interleaved rounds, a fresh timestamp and
// signature per request (the bot refuses a pair used again for another msgId) and a distinct msgId, so every request is a
// real reply and never a de-duplication hit: an onResponse hook checks every response body (a dedupe hit
// would answer {"msgtype":"empty"} and count as a mismatch). serve's log lines go to /dev/null.
// Then interleaved rounds at a steady offered load (BENCH_RATE, 1000 req/s) compare p99 below saturation. That
// load is paced here, one request every 1/BENCH_RATE s on keep-alive sockets, open loop: autocannon's own rate
// limit sends each connection's share of a second back to back and then pauses, a burst at every second that
// measured how long a burst takes to drain (≈ CPU per request) rather than the latency of a steady load.
// serve runs from TypeScript source through tsx (dist/ may be stale while the project is being built); an esbuild
// bundle of the same source (no tsx) measured the same server CPU per request within the noise (bench/RESULTS.md).
// Goals (issue 15): throughput >= 0.7x bare, p99 at a fixed 1000 req/s <= 1.5x bare.
// Run: npm run bench -- bot-http   (env BENCH_SECONDS=10, BENCH_ROUNDS=4, BENCH_CONNECTIONS=50, BENCH_RATE=1000,
// BENCH_FIXED_ROUNDS=4, BENCH_PROF=DIR: CPU profiles of both servers into DIR, for bench/_prof-summary.mjs)
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { recordGoal } from "./_goals.mjs";
import { signedSeed001Callbacks } from "./_seed001-callback.mjs";

// ── child mode: the bare baseline server ───────────────────────────────────────────────────────────────
if (process.argv[2] === "--bare-server") {
  const reply = JSON.stringify({
    msgtype: "text",
    text: { content: "你剛剛發的消息是:[text]\n@user123" },
    at: { atUserIds: ["user123"], isAtAll: false },
  });
  const server = createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(reply);
    });
  });
  server.listen(0, "127.0.0.1", () =>
    process.stderr.write(`bare at http://127.0.0.1:${server.address().port}\n`),
  );
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
  const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
  const RATE = Number(process.env.BENCH_RATE ?? 1000);
  const FIXED_ROUNDS = Number(process.env.BENCH_FIXED_ROUNDS ?? 4);
  // --cpu-prof writes the profile when the child exits (SIGTERM → process.exit in both servers).
  const prof = process.env.BENCH_PROF
    ? ["--cpu-prof", "--cpu-prof-interval", "200", `--cpu-prof-dir=${process.env.BENCH_PROF}`]
    : [];
  const SECRET = "bench-app-secret-0123456789abcdefghijklmnopqrstuvwxyz";
  const root = fileURLToPath(new URL("..", import.meta.url));

  /** Starts a child and resolves with {url, stop} once it prints "at http://…". */
  const startChild = (args, env) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (c) => {
        err += c;
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m)
          resolve({
            url: m[1],
            pid: child.pid,
            stop: () =>
              new Promise((r) => {
                child.on("close", r);
                child.kill("SIGTERM");
              }),
          });
      });
      child.on("close", (code) => reject(new Error(`child exited ${code}: ${err}`)));
    });

  const serve = await startChild(
    [
      ...prof,
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      "packages/dingbot-tools/src/cli/main.ts",
      "serve",
      "examples/answer-bot.ts",
      "--port",
      "0",
    ],
    { DINGTALK_APP_SECRET: SECRET },
  );
  const bare = await startChild([...prof, fileURLToPath(import.meta.url), "--bare-server"], {});

  const ts = String(Date.now());
  const sign = createHmac("sha256", SECRET).update(`${ts}\n${SECRET}`).digest("base64");
  const headers = { "content-type": "application/json; charset=utf-8", timestamp: ts, sign };
  // Seed 001's group message for the "text" route; only msgId changes between requests, and each request
  // is signed with its own timestamp.
  const { nextHeaders, nextBody } = signedSeed001Callbacks(SECRET, `Bench${process.pid}`);
  let expected = "";

  // Sanity: the served bot answers the routed text reply, and a repeated msgId is answered "empty".
  expected =
    '{"msgtype":"text","text":{"content":"你剛剛發的消息是:[text]\\n@user123"},"at":{"atUserIds":["user123"],"isAtAll":false}}';
  const once = nextBody();
  for (const [label, want] of [
    ["first", expected],
    ["repeat", '{"msgtype":"empty"}'],
  ]) {
    const got = await (await fetch(`${serve.url}/`, { method: "POST", headers, body: once })).text();
    if (got !== want) throw new Error(`sanity (${label}): expected ${want}, got ${got}`);
  }

  const steal = () => {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { steal: cpu[7] ?? 0, total: cpu.reduce((a, b) => a + b, 0) };
  };
  const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  let mismatches = 0;
  const cpuTicks = (pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (10 ms)
  };
  const load = (url, seconds, pid) => {
    const started = steal();
    const ticks0 = pid ? cpuTicks(pid) : 0;
    mismatches = 0;
    return autocannon({
      url: `${url}/`,
      connections: CONNECTIONS,
      duration: seconds,
      requests: [
        {
          method: "POST",
          headers,
          setupRequest: (req) => ({ ...req, headers: nextHeaders(), body: nextBody() }),
          // Every answer is checked: a dedupe hit would be {"msgtype":"empty"}.
          onResponse: (status, body) => {
            if (status !== 200 || body !== expected) mismatches += 1;
          },
        },
      ],
    }).then((result) => {
      const ended = steal();
      const st = (100 * (ended.steal - started.steal)) / Math.max(1, ended.total - started.total);
      const cpuUsPerReq = pid ? ((cpuTicks(pid) - ticks0) * 10_000) / Math.max(1, result.requests.total) : 0;
      return {
        cpuUsPerReq,
        rps: result.requests.average,
        p99: result.latency.p99,
        total: result.requests.total,
        bad: result.errors + result.non2xx + result.timeouts + mismatches,
        steal: st,
      };
    });
  };

  // Warm-up (JIT, tsx caches, sockets).
  await load(serve.url, 2);
  await load(bare.url, 2);
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["serve", "bare"] : ["bare", "serve"];
    const row = {};
    for (const which of order) {
      const target = which === "serve" ? serve : bare;
      row[which] = await load(target.url, SECONDS, target.pid);
    }
    rows.push(row);
    console.log(
      `round ${round + 1} (load ${loadAverage()}): serve ${row.serve.rps.toFixed(0)} req/s p99 ${row.serve.p99} ms (steal ${row.serve.steal.toFixed(1)}%) | ` +
        `bare ${row.bare.rps.toFixed(0)} req/s p99 ${row.bare.p99} ms (steal ${row.bare.steal.toFixed(1)}%) | ` +
        `ratio ${(row.serve.rps / row.bare.rps).toFixed(2)}x, p99 ${(row.serve.p99 / Math.max(1, row.bare.p99)).toFixed(2)}x | ` +
        `server CPU/req serve ${row.serve.cpuUsPerReq.toFixed(0)} µs, bare ${row.bare.cpuUsPerReq.toFixed(0)} µs`,
    );
  }
  /**
   * A steady open-loop load: request i leaves at start + i/rate (sent late, never skipped, if the timer is
   * late), each a fresh signed callback; latency from the send to the response's end.
   */
  const paced = (url, seconds, rate) =>
    new Promise((resolve) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 256 });
      const target = new URL(`${url}/`);
      const total = Math.round(seconds * rate);
      const latencies = [];
      let sent = 0;
      let bad = 0;
      const started = process.hrtime.bigint();
      const finish = () => {
        agent.destroy();
        latencies.sort((a, b) => a - b);
        const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
        const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({
          p50: at(0.5),
          p99: at(0.99),
          rps: latencies.length / elapsed,
          bad,
          total: latencies.length,
        });
      };
      const sendOne = () => {
        const body = nextBody();
        const t0 = process.hrtime.bigint();
        const req = request(
          target,
          { method: "POST", agent, headers: { ...nextHeaders(), "content-length": Buffer.byteLength(body) } },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("end", () => {
              latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
              if (res.statusCode !== 200 || text !== expected) bad += 1;
              if (latencies.length + bad === total) finish();
            });
          },
        );
        req.on("error", () => {
          bad += 1;
          if (latencies.length + bad === total) finish();
        });
        req.end(body);
      };
      const tick = () => {
        const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - started) / 1e9) * rate) + 1);
        while (sent < due) {
          sent += 1;
          sendOne();
        }
        if (sent < total) setTimeout(tick, 1);
      };
      tick();
    });

  // Latency at the same steady load, below both servers' saturation: what verification adds per request
  // rather than how long the queue gets.
  await paced(serve.url, 1, RATE);
  await paced(bare.url, 1, RATE);
  const fixed = [];
  for (let round = 0; round < FIXED_ROUNDS; round++) {
    const order = round % 2 === 0 ? ["serve", "bare"] : ["bare", "serve"];
    const row = {};
    for (const which of order) {
      const target = which === "serve" ? serve : bare;
      row[which] = await paced(target.url, SECONDS, RATE);
    }
    fixed.push(row);
    console.log(
      `steady ${RATE} req/s, round ${round + 1}: serve p50 ${row.serve.p50.toFixed(2)} p99 ${row.serve.p99.toFixed(2)} ms (${row.serve.rps.toFixed(0)} req/s) | ` +
        `bare p50 ${row.bare.p50.toFixed(2)} p99 ${row.bare.p99.toFixed(2)} ms (${row.bare.rps.toFixed(0)} req/s)`,
    );
  }
  await serve.stop();
  await bare.stop();

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const rpsRatio = median(rows.map((r) => r.serve.rps / r.bare.rps));
  const p99Ratio = median(rows.map((r) => r.serve.p99 / Math.max(1, r.bare.p99)));
  const cpuServe = median(rows.map((r) => r.serve.cpuUsPerReq));
  const cpuBare = median(rows.map((r) => r.bare.cpuUsPerReq));
  const bad = [...rows, ...fixed].reduce((n, r) => n + r.serve.bad + r.bare.bad, 0);
  const replies = rows.reduce((n, r) => n + r.serve.total, 0);
  console.log(
    `connections=${CONNECTIONS} duration=${SECONDS}s rounds=${ROUNDS} (interleaved, order alternating)`,
  );
  console.log(
    `serve median ${median(rows.map((r) => r.serve.rps)).toFixed(0)} req/s, p99 ${median(rows.map((r) => r.serve.p99))} ms`,
  );
  console.log(
    `bare  median ${median(rows.map((r) => r.bare.rps)).toFixed(0)} req/s, p99 ${median(rows.map((r) => r.bare.p99))} ms`,
  );
  console.log(`throughput ratio (median of rounds) ${rpsRatio.toFixed(2)}x (goal >= 0.7x)`);
  console.log(`p99 ratio (median of rounds) ${p99Ratio.toFixed(2)}x (goal <= 2x)`);
  const fixedP99 = (w) => median(fixed.map((r) => r[w].p99));
  const fixedRatio = median(fixed.map((r) => r.serve.p99 / r.bare.p99));
  console.log(
    `p99 at a steady ${RATE} req/s (medians of ${FIXED_ROUNDS} rounds): serve ${fixedP99("serve").toFixed(2)} ms, ` +
      `bare ${fixedP99("bare").toFixed(2)} ms, ratio (median of rounds) ${fixedRatio.toFixed(2)}x (goal <= 1.5x)`,
  );
  console.log(
    `server CPU per request (median): serve ${cpuServe.toFixed(0)} µs, bare ${cpuBare.toFixed(0)} µs ` +
      `(requests per CPU-second ratio ${(cpuBare / cpuServe).toFixed(2)}x); load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
  );
  console.log(
    `serve answered ${replies} measured callbacks; errors + non-2xx + timeouts + body mismatches (both servers): ${bad}`,
  );
  if (bad > 0) console.log("WARNING: some measured requests were not the routed text reply");
  recordGoal({
    bench: "bot-http",
    id: "throughput",
    issue: 15,
    figure: "`dingbot serve examples/answer-bot.ts` verified callbacks/s vs bare `node:http`, autocannon",
    value: Number(rpsRatio.toFixed(2)),
    unit: "×",
    goal: { op: ">=", target: 0.7 },
    detail: `rounds ${rows.map((r) => (r.serve.rps / r.bare.rps).toFixed(2)).join(", ")}; CPU/request ${cpuServe.toFixed(0)} vs ${cpuBare.toFixed(0)} µs`,
    ...(rpsRatio < 0.7
      ? {
          note: "dingbot's node:http adapter costs what bare does (bench/_bot-http-parts.mjs); the rest is the verified callback's own work, a flat profile; see issue 15",
        }
      : {}),
  });
  recordGoal({
    bench: "bot-http",
    id: "p99-fixed-rate",
    issue: 15,
    figure: `\`dingbot serve\` p99 vs bare at a steady ${RATE} req/s (paced, open loop)`,
    value: Number(fixedRatio.toFixed(2)),
    unit: "×",
    goal: { op: "<=", target: 1.5 },
    detail: `${fixedP99("serve").toFixed(2)} vs ${fixedP99("bare").toFixed(2)} ms; rounds ${fixed.map((r) => (r.serve.p99 / r.bare.p99).toFixed(2)).join(", ")}`,
    ...(fixedRatio > 1.5
      ? {
          note: "a few requests a second delayed 2–5 ms in both servers set it (1.18× to 2.54× over one day's runs); see issue 15",
        }
      : {}),
  });
  recordGoal({
    bench: "bot-http",
    id: "p99-saturated",
    issue: 4,
    figure: "`dingbot serve` p99 vs bare at saturation",
    value: Number(p99Ratio.toFixed(2)),
    unit: "×",
    goal: { op: "<=", target: 2 },
    detail: `${median(rows.map((r) => r.serve.p99))} vs ${median(rows.map((r) => r.bare.p99))} ms, ${CONNECTIONS} connections`,
    // Saturated, each server's p99 is its queue of 50 requests drained at its CPU per request.
    ...(p99Ratio > 2
      ? {
          note: `at saturation the p99 is the queue drained at each server's CPU per request (${cpuServe.toFixed(0)} vs ${cpuBare.toFixed(0)} µs), so it follows the throughput figure; see issue 15`,
        }
      : {}),
  });
}
