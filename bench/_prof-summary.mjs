// Where the time of a --cpu-prof profile goes, per message, grouped as bench/RESULTS.md's issue 15 tables:
// self time of every non-idle sample between the first and the last sample whose stack matches --window,
// summed by function, by category and by group, divided by --messages.
//   node bench/_prof-summary.mjs PROFILE --window REGEX [--messages N] [--segment dingbotCost|officialCost] [--top N]
// e.g. after `BENCH_PROF=/tmp/p npm run bench -- bot-http`:
//   node bench/_prof-summary.mjs /tmp/p/CPU.<serve pid>.0.001.cpuprofile --window "_http_server|http-node" --messages 50000
// --segment picks one contender of bench/_stream-cpu.mjs (the samples after its function was last seen).
// A CPU profile samples wall time: on a loaded machine a descheduled process charges the wait to whatever
// function it was in, so take profiles on a quiet machine and read the shares more than the µs.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const file = args[0];
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const windowRe = new RegExp(opt("--window", "."));
const messages = Number(opt("--messages", 1));
const segment = opt("--segment", null);
const top = Number(opt("--top", 25));
const p = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const stackCache = new Map();
function stack(id) {
  if (stackCache.has(id)) return stackCache.get(id);
  const s = [];
  for (let x = id; x !== undefined; x = parent.get(x)) s.push(byId.get(x).callFrame);
  stackCache.set(id, s);
  return s;
}
const frameStr = (f) =>
  `${f.functionName || "(anon)"} ${f.url.replace(/^file:\/\/\/work\/main\//, "").replace(/.*node_modules\//, "nm/")}:${f.lineNumber + 1}`;
const stackStr = (id) =>
  stack(id)
    .map((f) => `${f.functionName} ${f.url}`)
    .join("|");
// sample times
const times = [];
let t = p.startTime;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  times.push(t);
}
const dur = (i) => (i + 1 < times.length ? times[i + 1] - times[i] : 0);
// window
let first = -1,
  last = -1;
for (let i = 0; i < p.samples.length; i++)
  if (windowRe.test(stackStr(p.samples[i]))) {
    if (first < 0) first = i;
    last = i;
  }
// segment (for _stream-cpu: which contender was last seen)
let current = null;
function category(id) {
  const s = stack(id);
  const self = s[0];
  const fn = self.functionName,
    url = self.url;
  if (fn === "(garbage collector)") return "GC";
  if (fn === "__name") return "tsx/esbuild __name helper (keepNames)";
  if (fn === "jsonDepth") return "JSON depth check (protocol/json.ts)";
  if (fn === "writev" || fn === "writeUtf8String" || fn === "writeBuffer" || fn === "writeLatin1String")
    return "node:net/streams";
  if (fn === "(idle)") return "idle";
  if (fn === "(program)") return "(program): VM/native, unattributed";
  if (
    /createHmac|Hmac|timingSafeEqual|verifySignature|signing/.test(`${fn} ${url}`) ||
    /internal\/crypto/.test(url)
  )
    return "HMAC (signature)";
  if (/\/zod\//.test(url) || /protocol\/validate\.ts/.test(url)) return "schema check (zod)";
  if (/protocol\/json\.ts/.test(url)) return "JSON.parse (+ depth check)";
  if (/okAck|ackText|okCardAck/.test(fn) || (/stream\/connection\.ts/.test(url) && /send|cork/.test(fn)))
    return "ack/serialise";
  if (/pino|sonic-boom|fast-redact|thread-stream|logger|log\.ts|quick-format|safe-stable/.test(url))
    return "logging";
  if (/dedupe|MsgIdCache|msgid/i.test(`${fn} ${url}`)) return "dedupe";
  if (fn === "parse" && url === "") return "JSON.parse (+ depth check)";
  if (fn === "stringify" && url === "") return "JSON.stringify";
  if (/\/ws\/lib\//.test(url)) return "ws library";
  if (/^node:(_http|http)/.test(url)) return "node:http";
  if (/^node:(net|internal\/stream_base|internal\/streams|stream|internal\/net|_stream)/.test(url))
    return "node:net/streams";
  if (
    /^node:(events|internal\/event_target|internal\/process\/task_queues|internal\/timers|timers|internal\/async_hooks|internal\/process)/.test(
      url,
    )
  )
    return "node:events/timers/microtasks";
  if (
    /^node:(buffer|internal\/buffer|string_decoder|internal\/util)/.test(url) ||
    (url === "" && /toString|from|byteLength|write|slice|concat/.test(fn))
  )
    return "Buffer/string";
  if (/dingtalk-stream/.test(url)) return "dingtalk-stream (official)";
  if (/autocannon/.test(url)) return "autocannon";
  if (/packages\/dingbot\/src/.test(url)) return `dingbot:${url.replace(/.*packages\/dingbot\/src\//, "")}`;
  if (/packages\/dingbot-tools\/src/.test(url))
    return `dingbot-tools:${url.replace(/.*packages\/dingbot-tools\/src\//, "")}`;
  if (/examples\//.test(url)) return "example bot";
  if (/\/bench\//.test(url)) return "bench harness";
  if (url === "") return `native builtin: ${fn}`;
  if (/^node:/.test(url)) return `node other: ${url}`;
  return `other: ${url.replace(/.*node_modules\//, "nm/")}`;
}
function group(c) {
  if (/^HMAC|timestamp-signature|base64Write|base64Slice/.test(c))
    return "HMAC signature check (crypto Hmac, base64, timestamp window)";
  if (/http-replay/.test(c)) return "replay check (timestamp/sign pairs, http-replay.ts)";
  if (/^JSON\.parse/.test(c)) return "JSON.parse (parseJson)";
  if (/^JSON depth/.test(c)) return "JSON depth check (jsonDepth)";
  if (/zod/.test(c)) return "schema check (zod + validate.ts)";
  if (/^dedupe/.test(c)) return "dedupe (MsgIdCache)";
  if (/^logging/.test(c)) return "logging (pino)";
  if (/ack\/serialise|outbound|replier|http-node|JSON\.stringify/.test(c))
    return "ack / reply build + serialise";
  if (/^GC/.test(c)) return "GC";
  if (
    /^ws library|^node:http|^node:net|^node:events|^Buffer|runMicrotasks|utf8|isUtf8|stream\/connection|FastBuffer/.test(
      c,
    )
  )
    return "node:http / net / ws / Buffer / event-loop internals";
  if (/^\(program\)/.test(c)) return "(program): VM/native, unattributed";
  if (/__name/.test(c)) return "tsx/esbuild __name helper";
  if (/^dingbot|^example bot|^dingbot-tools/.test(c))
    return "dingbot routing/dispatch (transport core, Bot, middleware, Context)";
  if (/dingtalk-stream/.test(c)) return "dingtalk-stream client code (JSON.parse of frame inlined)";
  if (/bench harness/.test(c)) return "bench handler / harness";
  return "other (natives, module loading)";
}
const grp = new Map();
const cat = new Map(),
  fns = new Map();
let total = 0,
  idle = 0;
for (let i = 0; i < p.samples.length; i++) {
  const id = p.samples[i];
  if (segment) {
    const ss = stackStr(id);
    if (/dingbotCost/.test(ss)) current = "dingbotCost";
    else if (/officialCost/.test(ss)) current = "officialCost";
    if (current !== segment) continue;
  }
  if (i < first || i > last) continue;
  const d = dur(i);
  const c = category(id);
  if (c === "idle") {
    idle += d;
    continue;
  }
  total += d;
  cat.set(c, (cat.get(c) ?? 0) + d);
  grp.set(group(c), (grp.get(group(c)) ?? 0) + d);
  const f = frameStr(stack(id)[0]);
  const k = `${c} :: ${f}`;
  fns.set(k, (fns.get(k) ?? 0) + d);
}
console.log(
  `window ${(times[last] - times[first]) / 1e6} s, busy ${(total / 1e6).toFixed(3)} s, idle ${(idle / 1e6).toFixed(3)} s, messages ${messages}, busy µs/msg ${(total / messages).toFixed(2)}`,
);
console.log("\n-- groups (µs/msg, share of busy) --");
for (const [c, v] of [...grp].sort((a, b) => b[1] - a[1]))
  console.log(`| ${c} | ${(v / messages).toFixed(1)} | ${((100 * v) / total).toFixed(1)} % |`);
console.log("\n-- categories (µs/msg, share of busy) --");
for (const [c, v] of [...cat].sort((a, b) => b[1] - a[1]))
  console.log(
    `${(v / messages).toFixed(2).padStart(8)} ${((100 * v) / total).toFixed(1).padStart(5)}%  ${c}`,
  );
console.log(`\n-- top ${top} self functions --`);
for (const [c, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(
    `${(v / messages).toFixed(2).padStart(8)} ${((100 * v) / total).toFixed(1).padStart(5)}%  ${c}`,
  );
