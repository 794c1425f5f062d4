// Per-callback CPU of the HTTP callback transport without sockets, for bench/bot-http.mjs and issue 15's
// profiles: examples/answer-bot.ts behind createCallHandler (signature, replay guard, parse, schema, dedupe,
// routing, reply, the CLI's pino logger writing to nothing), fed signed callbacks through an HttpCall of
// its own. Prints µs of CPU per callback for each round (JSON). Run in its own process:
//   node --conditions=dingbot:source --import tsx bench/_bot-http-cpu.mjs   (env BENCH_CALLS, BENCH_ROUNDS)
import { createHmac } from "node:crypto";
import bot from "../examples/answer-bot.ts";
import { createCallHandler } from "../packages/dingbot/src/bot/transports/http-core.ts";
import { createCliLogger } from "../packages/dingbot-tools/src/cli/commands/bot-logger.ts";
import { seed001CallbackParts } from "./_seed001-callback.mjs";

const CALLS = Number(process.env.BENCH_CALLS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECRET = "bench-app-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const logger = createCliLogger(() => {}, "info", [SECRET]);
bot.configure({ logger, appSecret: SECRET });
const handler = createCallHandler((update, responder) => bot.handleUpdate(update, responder), {
  appSecret: SECRET,
  logger,
});

const { before, after } = seed001CallbackParts();

/** One request as the node adapter presents it: headers by name, the body in one Buffer. */
class Call {
  method = "POST";
  path = "/";
  constructor(headers, body) {
    this.headers = headers;
    this.body = body;
  }
  header(name) {
    return this.headers[name];
  }
  readBody() {
    return Promise.resolve(this.body);
  }
}

let seq = 0;
const base = Date.now() - 1_800_000;
/** The next signed callback, made when it is sent: a pre-built array would keep them all alive for the GC. */
function nextCall() {
  seq += 1;
  const timestamp = String(base + seq);
  const sign = createHmac("sha256", SECRET).update(`${timestamp}\n${SECRET}`).digest("base64");
  return new Call({ timestamp, sign }, Buffer.from(`${before}msgCpu${seq}==${after}`));
}

const results = [];
for (let round = 0; round < ROUNDS; round++) {
  let harness = 0;
  const cpu = process.cpuUsage();
  // 50 at a time, as 50 keep-alive connections would keep them in flight.
  for (let i = 0; i < CALLS; i += 50) {
    const made = process.cpuUsage();
    const batch = Array.from({ length: 50 }, nextCall);
    const cost = process.cpuUsage(made);
    harness += cost.user + cost.system;
    const answers = await Promise.all(batch.map((call) => handler(call)));
    if (answers[0].status !== 200 || !answers[0].body.includes("text")) throw new Error(answers[0].body);
  }
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  // The harness's own signing and body building is taken out.
  results.push((used.user + used.system - harness) / CALLS);
}
process.stdout.write(`${JSON.stringify({ dingbot: results })}\n`);
process.exit(0);
