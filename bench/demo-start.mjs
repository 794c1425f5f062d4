// How long `dingbot demo` takes from launch to (a) its banner with the page URL, (b) the first message the
// page can show (GET /_emulator/snapshot has one), (c) the sample traffic finished, against baselines in the
// same run: `dingbot emulator` alone (launch → listening) and a bare node:http server (launch → first answer).
// All three run from TypeScript source through tsx, as the tests do; rounds are interleaved.
//   npm run bench -- demo-start        (BENCH_ROUNDS=5 by default)
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { recordGoal } from "./_goals.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = fileURLToPath(new URL("../packages/dingbot-tools/src/cli/main.ts", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TSX = ["--conditions=dingbot:source", "--import", "tsx"];

function launch(args) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  let out = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  child.stderr.on("data", (c) => {
    out += c;
  });
  const waitFor = async (re, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(out);
      if (m) return { at: performance.now() - t0, match: m };
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${re}:\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGINT");
    });
  return { t0, waitFor, stop, child };
}

async function demoRound() {
  const p = launch([...TSX, MAIN, "demo", "--port", "0"]);
  const banner = await p.waitFor(/open the chat page: (http:\S+)/);
  const url = banner.match[1];
  let first;
  for (;;) {
    const snap = await (await fetch(`${url}_emulator/snapshot`)).json();
    if (snap.messages.length > 0) {
      first = performance.now() - p.t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const done = await p.waitFor(/sample traffic sent/);
  await p.stop();
  return { banner: banner.at, first, done: done.at };
}

async function emulatorRound() {
  const p = launch([...TSX, MAIN, "emulator", "--port", "0"]);
  const ready = await p.waitFor(/listening on (http:\S+)/);
  await p.stop();
  return ready.at;
}

async function bareRound() {
  const code =
    "const s=require('http').createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>console.log('listening on http://127.0.0.1:'+s.address().port));process.on('SIGINT',()=>process.exit(0))";
  const p = launch(["-e", code]);
  const ready = await p.waitFor(/listening on (http:\S+)/);
  await fetch(ready.match[1]);
  const at = performance.now() - p.t0;
  await p.stop();
  return at;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const rows = { bare: [], emulator: [], banner: [], first: [], done: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  rows.bare.push(await bareRound());
  rows.emulator.push(await emulatorRound());
  const d = await demoRound();
  rows.banner.push(d.banner);
  rows.first.push(d.first);
  rows.done.push(d.done);
  console.log(
    `round ${round + 1}: bare ${rows.bare.at(-1).toFixed(0)} ms, emulator ${rows.emulator.at(-1).toFixed(0)} ms, ` +
      `demo banner ${d.banner.toFixed(0)} ms, first message ${d.first.toFixed(0)} ms, traffic done ${d.done.toFixed(0)} ms`,
  );
}
const base = median(rows.emulator);
console.log(`\nmedian of ${ROUNDS} rounds (ms)        median   ratio to 'dingbot emulator'`);
for (const [name, label] of [
  ["bare", "bare node:http → first answer"],
  ["emulator", "dingbot emulator → listening"],
  ["banner", "dingbot demo → banner + URL"],
  ["first", "dingbot demo → first message"],
  ["done", "dingbot demo → traffic done"],
]) {
  console.log(
    `${label.padEnd(34)} ${median(rows[name]).toFixed(0).padStart(6)}   ${(median(rows[name]) / base).toFixed(2)}`,
  );
}
// No goal of its own: issue 8's "page within a minute" is timed end to end by bench/fresh-clone.sh.
recordGoal({
  bench: "demo-start",
  id: "demo-first-message",
  issue: 8,
  figure: "`dingbot demo` launch → first message in the snapshot (from source through tsx, median)",
  value: Math.round(median(rows.first)),
  unit: "ms",
  detail: `${(median(rows.first) / base).toFixed(2)}× \`dingbot emulator\` → listening (${base.toFixed(0)} ms); traffic done ${median(rows.done).toFixed(0)} ms; ${ROUNDS} rounds`,
});
