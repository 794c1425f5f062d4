// Child process of bench/emulator-webhook.mjs: one server under test, alone in its process, so the load
// generator's CPU (autocannon in the parent) is not charged to it. `bare` is a node:http server that reads
// the body, parses the JSON and answers DingTalk's fixed success text — the least any webhook endpoint does;
// `emulator` is the emulator with a plain and a 加签 robot and no rate limit. Prints one JSON line
// ({ url } or { base, signedQuery }) on stdout; on stdin's end prints { messages, rejections } (emulator)
// and exits.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { keepMessageLogShort } from "./_emulator-child.mjs";

// BENCH_EMULATOR_SRC (a copy of packages/dingbot-tools/src from another commit) runs that emulator instead,
// for a before/after in one run; the library (dingbot-sdk) is this checkout's either way.
const { createEmulator } = await import(
  process.env.BENCH_EMULATOR_SRC
    ? `${process.env.BENCH_EMULATOR_SRC}/emulator/index.ts`
    : "dingbot-tools/emulator"
);

const which = process.argv[2];

if (which === "bare") {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
} else if (which === "emulator") {
  const emulator = createEmulator({ rateLimit: 1e9 });
  emulator.store.createRobot({ accessToken: "plain" });
  const secret = "SECbench";
  emulator.store.createRobot({ accessToken: "signed", secret });
  let accepted = 0;
  emulator.store.events.on("message", () => {
    accepted += 1;
  });
  keepMessageLogShort(emulator, 10_000);
  const base = await emulator.listen(0);
  // One pre-signed URL, as a load test against a 加签 robot would use: the emulator still verifies the
  // signature (HMAC and constant-time compare) on every request; it stays valid for the hour's window.
  const ts = Date.now();
  const sign = encodeURIComponent(createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64"));
  process.stdout.write(`${JSON.stringify({ base, signedQuery: `timestamp=${ts}&sign=${sign}` })}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    const rejections = emulator.store.rejections.length;
    await emulator.close();
    process.stdout.write(`${JSON.stringify({ messages: accepted, rejections })}\n`);
    process.exit(0);
  });
} else {
  throw new Error(`usage: _emulator-webhook-server.mjs bare|emulator (got ${which})`);
}
