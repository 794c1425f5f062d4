// Throughput of the emulator's POST /robot/send (plain robot, and a 加签 robot with a pre-signed URL),
// against a bare node:http server that reads the body, parses the JSON and answers {"errcode":0} — the
// least any webhook endpoint does. Interleaved rounds in one run; ratios are what matter on this noisy VM.
// Run: npm run bench -- emulator-webhook   (env BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS)
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import autocannon from "autocannon";
import { createEmulator } from "dingbot-tools/emulator";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const body = JSON.stringify({ msgtype: "text", text: { content: "构建完成 build #1234 passed" } });
const headers = { "content-type": "application/json" };

const bare = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"errcode":0,"errmsg":"ok"}');
  });
});
await new Promise((resolve) => bare.listen(0, "127.0.0.1", resolve));
const bareUrl = `http://127.0.0.1:${bare.address().port}/robot/send?access_token=x`;

const emulator = createEmulator({ rateLimit: 1e9 });
emulator.store.createRobot({ accessToken: "plain" });
const secret = "SECbench";
emulator.store.createRobot({ accessToken: "signed", secret });
const base = await emulator.listen(0);
// Nothing reads the log during the bench; keep memory flat over millions of messages.
emulator.store.events.on("message", () => {
  if (emulator.store.messages.length > 10_000) emulator.store.messages.splice(0, 5_000);
});
const ts = Date.now();
const sign = encodeURIComponent(createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64"));
const targets = {
  "bare node:http": bareUrl,
  "emulator plain": `${base}/robot/send?access_token=plain`,
  "emulator 加签": `${base}/robot/send?access_token=signed&timestamp=${ts}&sign=${sign}`,
};

const run = (url) =>
  autocannon({ url, method: "POST", headers, body, connections: CONNECTIONS, duration: SECONDS });

const figures = Object.fromEntries(Object.keys(targets).map((k) => [k, { rps: [], p99: [], errors: 0 }]));
for (const url of Object.values(targets))
  await autocannon({ url, method: "POST", headers, body, duration: 1 });
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, url] of Object.entries(targets)) {
    const result = await run(url);
    figures[name].rps.push(result.requests.average);
    figures[name].p99.push(result.latency.p99);
    figures[name].errors += result.errors + result.non2xx;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline = median(figures["bare node:http"].rps);
console.log(`connections=${CONNECTIONS} duration=${SECONDS}s rounds=${ROUNDS} (interleaved)`);
for (const [name, f] of Object.entries(figures)) {
  const rps = median(f.rps);
  console.log(
    `${name.padEnd(16)} req/s ${rps.toFixed(0).padStart(7)}  ratio ${(rps / baseline).toFixed(2)}  p99 ${median(f.p99)} ms  errors ${f.errors}`,
  );
}
const accepted = emulator.store.rejections.length;
console.log(`emulator rejections during the run: ${accepted} (expected 0)`);
await emulator.close();
bare.close();
