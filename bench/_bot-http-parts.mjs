// Where `dingbot serve`'s CPU per verified callback goes over sockets (issue 15), by taking parts away:
// server CPU per request (utime + stime from /proc, over the requests answered) of a bare node:http server,
// of dingbot's node:http adapter alone (glue), and of the answer bot behind httpServerTransport in full,
// without its per-callback log line, without its replay guard, and without both. The same autocannon load as
// bench/bot-http.mjs (50 connections, a fresh signed callback each, interleaved rounds). A diagnosis, not a
// goal: the differences between columns price the parts as they run on sockets.
// Run: node bench/_bot-http-parts.mjs   (env BENCH_SECONDS=4, BENCH_ROUNDS=5, BENCH_VARIANTS)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { signedSeed001Callbacks } from "./_seed001-callback.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const VARIANTS = (
  process.env.BENCH_VARIANTS ?? "bare,glue,bot,bot+nolog,bot+noreplay,bot+nolog+noreplay"
).split(",");
const SECRET = "bench-app-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const root = fileURLToPath(new URL("..", import.meta.url));
const source = ["--conditions=dingbot:source", "--import", "tsx"];

function start(variant) {
  const args =
    variant === "bare"
      ? ["bench/bot-http.mjs", "--bare-server"]
      : [...source, "bench/_bot-http-variant.ts", ...variant.split("+")];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_SECRET: SECRET },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (chunk) => {
      err += chunk;
      const found = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (found) resolve({ url: found[1], pid: child.pid, stop: () => child.kill("SIGTERM") });
    });
    child.on("close", (code) => reject(new Error(`${variant} exited ${code}: ${err}`)));
  });
}

const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
};
const { nextHeaders, nextBody } = signedSeed001Callbacks(SECRET, `Parts${process.pid}`);

async function load(server, seconds) {
  const ticks = cpuTicks(server.pid);
  let bad = 0;
  const result = await autocannon({
    url: `${server.url}/`,
    connections: 50,
    duration: seconds,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => ({ ...req, headers: nextHeaders(), body: nextBody() }),
        onResponse: (status) => {
          if (status !== 200) bad += 1;
        },
      },
    ],
  });
  const total = result.requests.total;
  return { rps: result.requests.average, cpuUs: ((cpuTicks(server.pid) - ticks) * 10_000) / total, bad };
}

const servers = {};
for (const variant of VARIANTS) servers[variant] = await start(variant);
for (const variant of VARIANTS) await load(servers[variant], 2); // warm-up
const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
let bad = 0;
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  const line = [];
  for (const variant of order) {
    const r = await load(servers[variant], SECONDS);
    cpu[variant].push(r.cpuUs);
    bad += r.bad;
    line.push(`${variant} ${r.rps.toFixed(0)} req/s ${r.cpuUs.toFixed(0)} µs`);
  }
  console.log(
    `round ${round + 1} (load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}): ${line.join(" | ")}`,
  );
}
for (const server of Object.values(servers)) server.stop();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`server CPU per request, median of ${ROUNDS} rounds (${SECONDS} s each, 50 connections):`);
for (const variant of VARIANTS) console.log(`  ${variant.padEnd(20)} ${median(cpu[variant]).toFixed(0)} µs`);
console.log(`non-200 answers: ${bad}`);
