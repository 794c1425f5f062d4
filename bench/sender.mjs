// Messages per second of the webhook sender against the emulator on a real port (limiter off, emulator
// with no rate limit, in its own process), against (a) a bare fetch loop doing the same requests and
// (b) the npm package dingtalk-robot-sender 1.2.0 (axios 0.19), interleaved in one run.
// Run: npm run bench -- sender   (env BENCH_SECONDS per cell, BENCH_ROUNDS, BENCH_CONCURRENCY)
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { WebhookClient } from "dingbot/client";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,8").split(",").map(Number);
const SECRET = "SECbenchsecret0123456789";
const require = createRequire(import.meta.url);
const ChatBot = require("dingtalk-robot-sender");

const child = spawn(
  process.execPath,
  [
    "--conditions=dingbot:source",
    "--import",
    "tsx",
    new URL("_sender-emulator.mjs", import.meta.url).pathname,
  ],
  {
    stdio: ["pipe", "pipe", "inherit"],
  },
);
const { base } = JSON.parse(
  await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve)),
);
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
  await Promise.all(Array.from({ length: concurrency }, worker));
  const after = cpuTimes();
  const steal = (100 * (after.steal - before.steal)) / Math.max(1, after.total - before.total);
  return { rate: sent / ((performance.now() - start) / 1000), steal };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `sender bench: ${ROUNDS} interleaved rounds × ${SECONDS} s per cell, concurrency ${CONCURRENCY.join(" and ")}, emulator at ${base}`,
);
const results = [];
for (const signed of [false, true]) {
  const cells = senders(signed);
  for (const concurrency of CONCURRENCY) {
    for (const send of Object.values(cells)) await measure(send, concurrency, 0.5); // warm-up
    const rates = Object.fromEntries(Object.keys(cells).map((k) => [k, []]));
    const steals = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, send] of Object.entries(cells)) {
        const { rate, steal } = await measure(send, concurrency, SECONDS);
        rates[name].push(rate);
        steals.push(steal);
      }
    }
    const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
    const row = {
      robot: signed ? "加签" : "plain",
      concurrency,
      "bare fetch msg/s": Math.round(m["bare fetch"]),
      "WebhookClient msg/s": Math.round(m.WebhookClient),
      "dingtalk-robot-sender msg/s": Math.round(m["dingtalk-robot-sender"]),
      "client/fetch": (m.WebhookClient / m["bare fetch"]).toFixed(2),
      "client/robot-sender": (m.WebhookClient / m["dingtalk-robot-sender"]).toFixed(2),
      "steal % (max)": Math.round(Math.max(...steals)),
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }
}
console.table(results);
child.stdin.end();
