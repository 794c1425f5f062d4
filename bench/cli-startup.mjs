// Wall time of `dingbot send` (the built CLI: node packages/dingbot-tools/bin/dingbot.js) against
// `node -e` doing the same one fetch, with hyperfine, in one run; `node -e 0` is shown for reference.
// When dist/ is missing (it is only built by `npm install`/`npm run build`), the packages are transpiled
// file by file with esbuild into a temporary copy with the same layout as `tsc` output, and that copy is
// measured instead (said so in the output). Run: npm run bench -- cli-startup   (env BENCH_RUNS)
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { recordGoal } from "./_goals.mjs";
import { spawnSenderEmulator } from "./_spawn-sender-emulator.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const ROOT = new URL("..", import.meta.url).pathname;

/** Returns the CLI entry to measure: the real dist/ when built, else a transpiled copy. */
async function builtCli() {
  const real = join(ROOT, "packages/dingbot-tools/bin/dingbot.js");
  // A dist/ built before `send` existed (or before the webhook client) is stale: use it only if it has both.
  if (
    existsSync(join(ROOT, "packages/dingbot-tools/dist/cli/commands/send-action.js")) &&
    existsSync(join(ROOT, "packages/dingbot/dist/client/webhook-client.js"))
  ) {
    return { bin: real, note: "built dist/ of the work tree", cleanup: () => {} };
  }
  const tree = mkdtempSync(join(tmpdir(), "dingbot-cli-bench-"));
  for (const pkg of ["dingbot-sdk", "dingbot-tools"]) {
    const from = join(ROOT, "packages", pkg);
    const to = join(tree, "packages", pkg);
    mkdirSync(to, { recursive: true });
    cpSync(join(from, "package.json"), join(to, "package.json"));
    if (existsSync(join(from, "bin"))) cpSync(join(from, "bin"), join(to, "bin"), { recursive: true });
    const files = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (
          entry.name.endsWith(".ts") &&
          !entry.name.endsWith(".test.ts") &&
          !entry.name.endsWith(".d.ts")
        )
          files.push(path);
      }
    };
    walk(join(from, "src"));
    await build({
      entryPoints: files,
      outdir: join(to, "dist"),
      outbase: join(from, "src"),
      format: "esm",
      platform: "node",
      target: "node20",
      bundle: false,
      logLevel: "error",
    });
  }
  const modules = join(tree, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, "node_modules"))) {
    if (name === "dingbot-sdk" || name === "dingbot-tools" || name === ".bin") continue;
    symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
  }
  symlinkSync(join(tree, "packages/dingbot"), join(modules, "dingbot-sdk"));
  symlinkSync(join(tree, "packages/dingbot-tools"), join(modules, "dingbot-tools"));
  return {
    bin: join(tree, "packages/dingbot-tools/bin/dingbot.js"),
    note: "dist/ missing or stale in the work tree: measured an esbuild file-by-file transpile with the same layout as tsc output",
    cleanup: () => rmSync(tree, { recursive: true, force: true }),
  };
}

const { child, base } = await spawnSenderEmulator();
const webhook = `${base}/robot/send?access_token=benchplain`;
const cli = await builtCli();
console.log(`cli-startup bench: ${cli.note}; emulator at ${base}; hyperfine ${RUNS} runs each`);

const body = JSON.stringify({ msgtype: "text", text: { content: "hi" } });
const oneFetch = `fetch(${JSON.stringify(webhook)},{method:"POST",headers:{"content-type":"application/json"},body:${JSON.stringify(body)}}).then(r=>r.json()).then(a=>{if(a.errcode!==0)process.exit(1)})`;
const sendCmd = `node ${cli.bin} send --webhook ${webhook} --text hi`;
const shq = (s) => `'${s.replaceAll("'", "'\\''")}'`;
const commands = {
  "node -e 0": "node -e 0",
  "node -e fetch": `node -e ${shq(oneFetch)}`,
  "dingbot send": sendCmd,
};
// Sanity: the CLI really sends (exit 0) before timing it.
execFileSync("sh", ["-c", sendCmd], { stdio: "inherit" });
const out = join(tmpdir(), `cli-startup-${process.pid}.json`);
execFileSync(
  "hyperfine",
  [
    "-N",
    "--warmup",
    "3",
    "--runs",
    String(RUNS),
    "--export-json",
    out,
    ...Object.values(commands).flatMap((c) => [
      "-n",
      Object.keys(commands).find((k) => commands[k] === c),
      c,
    ]),
  ],
  { stdio: ["ignore", "inherit", "inherit"] },
);
const results = JSON.parse(readFileSync(out, "utf8")).results;
rmSync(out);
const by = Object.fromEntries(results.map((r) => [r.command, r]));
const ms = (r) =>
  `${(r.mean * 1000).toFixed(0)} ms (median ${(r.median * 1000).toFixed(0)}, min ${(r.min * 1000).toFixed(0)})`;
const cpu = (r) => r.user + r.system;
for (const r of results)
  console.log(`${r.command.padEnd(14)} ${ms(r)}; CPU (user+sys) ${(cpu(r) * 1000).toFixed(0)} ms`);
const send = by["dingbot send"];
const fetchOnce = by["node -e fetch"];
console.log(
  `dingbot send / node -e fetch: wall mean ${(send.mean / fetchOnce.mean).toFixed(2)}×, median ${(send.median / fetchOnce.median).toFixed(2)}×, min ${(send.min / fetchOnce.min).toFixed(2)}×; CPU ${(cpu(send) / cpu(fetchOnce)).toFixed(2)}× (goal ≤ 1.5×)`,
);
recordGoal({
  bench: "cli-startup",
  id: "send-vs-node-fetch",
  issue: 3,
  figure: "`dingbot send` wall time vs `node -e` one fetch (hyperfine, mean)",
  value: Number((send.mean / fetchOnce.mean).toFixed(2)),
  unit: "×",
  goal: { op: "<=", target: 1.5 },
  detail: `median ${(send.median / fetchOnce.median).toFixed(2)}×, CPU ${(cpu(send) / cpu(fetchOnce)).toFixed(2)}×, ${RUNS} runs; ${cli.note.startsWith("built") ? "built dist/" : "esbuild transpile (dist/ missing or stale)"}`,
});
cli.cleanup();
child.stdin.end();
