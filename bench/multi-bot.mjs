// Issue 14 item 4: ten robots in one process (`dingbot serve b0.mjs … b9.mjs`, one port, a path each) against
// ten processes (`dingbot serve bI.mjs`, one each), in the same run, against the emulator in its own process.
// Both setups run side by side for the whole run; the load alternates between them (interleaved rounds, order
// alternating). Each message is a person's text in a group, posted to the emulator's control API, which signs
// and delivers the HTTP callback to the robot it @-mentions and returns the robot's inline reply; every reply is
// checked to come from the right bot ("bI: <text>"). Figures: RSS of the bot processes (idle after start, and
// after the load; per robot = total / 10), messages/s through the emulator, and the bots' CPU per message
// (utime + stime from /proc). Every serve runs from TypeScript source through tsx, like bench/bot-http.mjs.
// Run: npm run bench -- multi-bot   (env BENCH_SECONDS=8, BENCH_ROUNDS=3, BENCH_CONCURRENCY=16)
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { recordGoal } from "./_goals.mjs";
import { spawnMultiBotEmulator } from "./_spawn-multi-bot-emulator.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const N = 10;
const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, ".tmp", "bench-multi-bot");
mkdirSync(dir, { recursive: true });

const names = Array.from({ length: N }, (_, i) => `b${i}`);
for (const name of names) {
  writeFileSync(
    join(dir, `${name}.mjs`),
    `import { Bot } from "dingbot-sdk/bot";\nconst bot = new Bot();\nbot.on("text", (ctx) => ctx.replyText(\`${name}: \${ctx.text}\`));\nexport default bot;\n`,
  );
}

const loadBefore = readFileSync("/proc/loadavg", "utf8").trim();
const { child: emulatorChild, base } = await spawnMultiBotEmulator();
const control = async (path, body) => {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
};
await control("/_emulator/users", { userId: "u1", name: "bench" });

/** Starts `dingbot serve ARGS` from source; resolves with {url, pid, stop} once it prints its address. */
function serve(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=dingbot:source",
        "--import",
        "tsx",
        "packages/dingbot-tools/src/cli/main.ts",
        "serve",
        ...args,
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (chunk) => {
      err += chunk;
      const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (match && !child.ready) {
        child.ready = true;
        resolve({
          url: match[1],
          pid: child.pid,
          stop: () =>
            new Promise((done) => {
              child.on("close", done);
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.on("close", (code) => {
      if (!child.ready) reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
}

const secretOf = (setup, name) => `${setup}-${name}-bench-secret-0123456789abcdef`;

// One process, ten robots: DINGTALK_B0_APP_KEY… and a path each.
const oneEnv = {};
for (const name of names) {
  oneEnv[`DINGTALK_${name.toUpperCase()}_APP_KEY`] = `dingone${name}`;
  oneEnv[`DINGTALK_${name.toUpperCase()}_APP_SECRET`] = secretOf("one", name);
}
const t0 = Date.now();
const one = await serve([...names.map((n) => join(dir, `${n}.mjs`)), "--port", "0"], oneEnv);
const oneStartMs = Date.now() - t0;
// Ten processes, one robot each (started together, as a supervisor would).
const t1 = Date.now();
const ten = await Promise.all(
  names.map((name) =>
    serve([join(dir, `${name}.mjs`), "--port", "0"], {
      DINGTALK_APP_KEY: `dingten${name}`,
      DINGTALK_APP_SECRET: secretOf("ten", name),
    }),
  ),
);
const tenStartMs = Date.now() - t1;

/** The apps and a group per robot: each app's callbackUrl is its own path, or its own process. */
async function wire(setup, urlOf) {
  const targets = [];
  for (const name of names) {
    const app = await control("/_emulator/apps", {
      appKey: `ding${setup}${name}`,
      appSecret: secretOf(setup, name),
      callbackUrl: urlOf(name),
      mode: "http",
    });
    const conversation = await control("/_emulator/conversations", {
      type: "group",
      members: ["u1"],
      robots: [app.robotCode],
    });
    targets.push({ name, robotCode: app.robotCode, conversationId: conversation.conversationId });
  }
  return targets;
}
const setups = {
  one: { pids: [one.pid], targets: await wire("one", (name) => `${one.url}/${name}`) },
  ten: {
    pids: ten.map((s) => s.pid),
    targets: await wire("ten", (name) => `${ten[names.indexOf(name)].url}/`),
  },
};

const status = (pid, field) => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : 0;
};
const rssMiB = (pids, field = "VmRSS") => pids.reduce((sum, pid) => sum + status(pid, field), 0) / 1024;
const cpuTicks = (pids) =>
  pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Sends messages to the setup's robots, round-robin, CONCURRENCY at a time, for SECONDS. */
async function round(setup) {
  const { targets, pids } = setups[setup];
  let next = 0;
  let ok = 0;
  let bad = 0;
  const cpuBefore = cpuTicks(pids);
  const emulatorBefore = cpuTicks([emulatorChild.pid]);
  const started = performance.now();
  const until = started + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const target = targets[next++ % targets.length];
      const text = `m${next}`;
      const answer = await control(
        `/_emulator/conversations/${encodeURIComponent(target.conversationId)}/messages`,
        {
          from: "u1",
          text,
          atRobot: target.robotCode,
        },
      );
      if (answer.reply?.text?.content === `${target.name}: ${text}`) ok += 1;
      else bad += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = (cpuTicks(pids) - cpuBefore) * TICK_MS;
  const emulatorMs = (cpuTicks([emulatorChild.pid]) - emulatorBefore) * TICK_MS;
  return {
    perSecond: ok / seconds,
    bad,
    cpuUsPerMessage: (cpuMs * 1000) / Math.max(ok, 1),
    // Near 100 %: the emulator (one event loop signing, delivering and recording every message) is the limit.
    emulatorCpu: emulatorMs / (seconds * 10),
  };
}

const idle = { one: rssMiB(setups.one.pids), ten: rssMiB(setups.ten.pids) };
// Warm-up: every robot answers a few messages in both setups.
for (const setup of ["one", "ten"]) {
  for (const target of setups[setup].targets) {
    await control(`/_emulator/conversations/${encodeURIComponent(target.conversationId)}/messages`, {
      from: "u1",
      text: "warm",
      atRobot: target.robotCode,
    });
  }
}
const results = { one: [], ten: [] };
for (let r = 0; r < ROUNDS; r += 1) {
  const order = r % 2 === 0 ? ["one", "ten"] : ["ten", "one"];
  for (const setup of order) results[setup].push(await round(setup));
}
const after = { one: rssMiB(setups.one.pids), ten: rssMiB(setups.ten.pids) };
const peak = { one: rssMiB(setups.one.pids, "VmHWM"), ten: rssMiB(setups.ten.pids, "VmHWM") };

await one.stop();
await Promise.all(ten.map((s) => s.stop()));
emulatorChild.stdin.end();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n, digits = 0) => n.toFixed(digits);
console.log(
  `machine: nproc ${cpus().length}, loadavg before ${loadBefore}, after ${readFileSync("/proc/loadavg", "utf8").trim()}, node ${process.version}`,
);
console.log(`startup: one process ${oneStartMs} ms; ten processes (in parallel) ${tenStartMs} ms`);
console.log(`rounds: ${ROUNDS} × ${SECONDS} s per setup, interleaved, ${CONCURRENCY} messages in flight`);
console.log(
  "| setup | RSS idle total / per robot | RSS after load total / per robot | peak RSS total | messages/s (median; rounds) | bot CPU / message | emulator CPU | wrong replies |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const [setup, label] of [
  ["one", "10 robots, 1 process"],
  ["ten", "10 processes, 1 robot each"],
]) {
  const rounds = results[setup];
  console.log(
    `| ${label} | ${fmt(idle[setup])} / ${fmt(idle[setup] / N, 1)} MiB | ${fmt(after[setup])} / ${fmt(after[setup] / N, 1)} MiB | ${fmt(peak[setup])} MiB | ${fmt(median(rounds.map((x) => x.perSecond)))} (${rounds.map((x) => fmt(x.perSecond)).join(", ")}) | ${fmt(median(rounds.map((x) => x.cpuUsPerMessage)))} µs | ${fmt(median(rounds.map((x) => x.emulatorCpu)))} % | ${rounds.reduce((s, x) => s + x.bad, 0)} |`,
  );
}
// What one more robot costs in the shared process: its RSS over one single-robot process's, per extra robot.
const marginal = (after.one - after.ten / N) / (N - 1);
console.log(
  `one more robot in the shared process: ${fmt(marginal, 1)} MiB RSS (after load); one more process: ${fmt(after.ten / N, 1)} MiB`,
);
const cpuPerMessage = (setup) => median(results[setup].map((x) => x.cpuUsPerMessage));
recordGoal({
  bench: "multi-bot",
  id: "rss-one-vs-ten-processes",
  issue: 14,
  figure: "10 robots in one process vs 10 processes: RSS after the load",
  value: Number((after.one / after.ten).toFixed(2)),
  unit: "×",
  detail: `${fmt(after.one)} MiB in all vs ${fmt(after.ten)} MiB; one more robot ${fmt(marginal, 1)} MiB vs one more process ${fmt(after.ten / N, 1)} MiB; bot CPU per message ${(cpuPerMessage("one") / cpuPerMessage("ten")).toFixed(2)}×; ${ROUNDS} rounds × ${SECONDS} s`,
});
const bad = results.one.concat(results.ten).reduce((s, x) => s + x.bad, 0);
process.exit(bad === 0 ? 0 : 1);
