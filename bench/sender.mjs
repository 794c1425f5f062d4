// Messages per second of the webhook sender against the emulator on a real port (limiter off, emulator
// with no rate limit, in its own process), against (a) a bare fetch loop doing the same requests and
// (b) the npm package dingtalk-robot-sender 1.2.0 (axios 0.19), interleaved in one run.
// Run: npm run bench -- sender   (env BENCH_SECONDS per cell, BENCH_ROUNDS, BENCH_CONCURRENCY)
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { WebhookClient } from "dingbot-sdk/client";
import { recordGoal } from "./_goals.mjs";
import { spawnSenderEmulator } from "./_spawn-sender-emulator.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,8").split(",").map(Number);
const SECRET = "SECbenchsecret0123456789";
const require = createRequire(import.meta.url);
const ChatBot = require("dingtalk-robot-sender");

const { child, base } = await spawnSenderEmulator();
const hook = (token) => `${base}/robot/send?access_token=${token}`;
const message = { msgtype: "text", text: { content: "构建完成 build #1234 passed" } };

/** Each sender: send one message, reject unless errcode 0. */
function senders(signed) {
  const token = signed ? "benchsigned" : "benchplain";
  const secret = signed ? SECRET : undefined;
  const client = new WebhookClient({
    url: hook(token),
    ...(secret ? { secret } : {}),
    rateLimit: false,
    retries: 0,
    env: {},
  });
  const legacy = new ChatBot({ webhook: hook(token), ...(secret ? { secret } : {}) });
  const body = JSON.stringify(message);
  return {
    "bare fetch": async () => {
      let url = hook(token);
      if (secret) {
        const ts = Date.now();
        const sign = createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64");
        url += `&timestamp=${ts}&sign=${encodeURIComponent(sign)}`;
      }
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const answer = await response.json();
      if (answer.errcode !== 0) throw new Error(JSON.stringify(answer));
    },
    WebhookClient: async () => {
      await client.send(message);
    },
    "dingtalk-robot-sender": async () => {
      const response = await legacy.send(message);
      if (response.data.errcode !== 0) throw new Error(JSON.stringify(response.data));
    },
  };
}

/** CPU steal share over an interval, from /proc/stat (the VM's noise). */
function cpuTimes() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

/** CPU time (user+sys, µs) the emulator child has used so far, from /proc. */
function childCpuMicros() {
  const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime, stime in clock ticks (100 Hz)
}

async function measure(send, concurrency, seconds) {
  const deadline = performance.now() + seconds * 1000;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await send();
      sent += 1;
    }
  };
  const start = performance.now();
  const before = cpuTimes();
  const cpu = process.cpuUsage();
  const server = childCpuMicros();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  const after = cpuTimes();
  const steal = (100 * (after.steal - before.steal)) / Math.max(1, after.total - before.total);
  return {
    rate: sent / ((performance.now() - start) / 1000),
    cpu: (used.user + used.system) / sent,
    serverCpu: (childCpuMicros() - server) / sent,
    steal,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `sender bench: ${ROUNDS} interleaved rounds × ${SECONDS} s per cell, concurrency ${CONCURRENCY.join(" and ")}, emulator at ${base}`,
);
console.log(
  "msg/s is wall-clock throughput; CPU µs/msg is the sender process's own CPU per message (steadier on a shared machine); server µs/msg is the emulator's.",
);
const results = [];
for (const signed of [false, true]) {
  const cells = senders(signed);
  for (const concurrency of CONCURRENCY) {
    for (const send of Object.values(cells)) await measure(send, concurrency, 0.5); // warm-up
    const runs = Object.fromEntries(Object.keys(cells).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, send] of Object.entries(cells))
        runs[name].push(await measure(send, concurrency, SECONDS));
    }
    const m = (name, key) => median(runs[name].map((r) => r[key]));
    const row = { robot: signed ? "加签" : "plain", concurrency };
    for (const name of Object.keys(cells)) {
      row[`${name} msg/s`] = Math.round(m(name, "rate"));
      row[`${name} CPU µs/msg`] = Math.round(m(name, "cpu"));
      row[`${name} server µs/msg`] = Math.round(m(name, "serverCpu"));
    }
    row["msg/s client÷fetch"] = (m("WebhookClient", "rate") / m("bare fetch", "rate")).toFixed(2);
    row["msg/s client÷robot-sender"] = (
      m("WebhookClient", "rate") / m("dingtalk-robot-sender", "rate")
    ).toFixed(2);
    row["CPU fetch÷client"] = (m("bare fetch", "cpu") / m("WebhookClient", "cpu")).toFixed(2);
    row["CPU robot-sender÷client"] = (m("dingtalk-robot-sender", "cpu") / m("WebhookClient", "cpu")).toFixed(
      2,
    );
    row["steal % max"] = Math.round(Math.max(...Object.values(runs).flatMap((r) => r.map((x) => x.steal))));
    results.push(row);
    console.log(JSON.stringify(row));
  }
}
console.log(`load average at the end: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
// The goals hold for every cell (plain and 加签, each concurrency): the worst cell is the figure.
const cellName = (row) => `${row.robot === "plain" ? "plain" : "signed"} c${row.concurrency}`;
const cellsOf = (key) => results.map((row) => `${cellName(row)} ${row[key]}`).join(", ");
const worst = (key) => Math.min(...results.map((row) => Number(row[key])));
const cellsNote = `${ROUNDS} rounds × ${SECONDS} s`;
recordGoal({
  bench: "sender",
  id: "vs-bare-fetch",
  issue: 3,
  figure: "sender msg/s vs a bare `fetch` loop, same emulator (worst cell)",
  value: worst("msg/s client÷fetch"),
  unit: "×",
  detail: `${cellsOf("msg/s client÷fetch")}; ${cellsNote}`,
});
const vsLegacy = worst("msg/s client÷robot-sender");
recordGoal({
  bench: "sender",
  id: "vs-dingtalk-robot-sender",
  issue: 3,
  figure: "sender msg/s vs `dingtalk-robot-sender` 1.2.0, same run (worst cell)",
  value: vsLegacy,
  unit: "×",
  goal: { op: ">=", target: 2 },
  detail: `${cellsOf("msg/s client÷robot-sender")}; their CPU per message ÷ ours ${cellsOf("CPU robot-sender÷client")}; ${cellsNote}`,
  ...(vsLegacy < 2
    ? { note: "both ride Node's keep-alive `http` stack and the emulator is the bottleneck; see issue 3" }
    : {}),
});
child.stdin.end();
