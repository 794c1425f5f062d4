// One command for every benchmark: `npm run bench` runs them all, then `summary`; `npm run bench -- sender relay`
// runs some. Each benchmark is bench/<name>.mjs (or .ts, run through tsx), prints its figures, compares against
// a baseline measured in the same run, and records its goals into bench/results/<name>.json (bench/_goals.mjs).
// `npm run bench -- summary` prints the table of every goal from those files; `npm run bench -- summary --write`
// also rewrites it in bench/RESULTS.md. Arguments starting with "-" are passed to every benchmark named.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const dir = new URL(".", import.meta.url);
// summary reads what the others record: it is not one of "all", and runs after them.
const LAST = "summary";
const available = readdirSync(dir)
  .filter((f) => /\.(mjs|ts)$/.test(f) && !["run.mjs"].includes(f) && !f.startsWith("_"))
  .map((f) => f.replace(/\.(mjs|ts)$/, ""));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith("-"));
const wanted = args.filter((a) => !a.startsWith("-"));
const names = wanted.length > 0 ? wanted : [...available.filter((n) => n !== LAST), LAST];
let failed = 0;
for (const name of names) {
  const file = ["mjs", "ts"].map((ext) => new URL(`${name}.${ext}`, dir)).find((u) => existsSync(u));
  if (!file) {
    console.error(`no benchmark named ${name}; available: ${available.join(", ")}`);
    failed += 1;
    continue;
  }
  console.log(`\n=== bench/${name} (${new Date().toISOString()}) ===`);
  // tsx and the source condition let a benchmark import the TypeScript source of both packages.
  const nodeArgs = ["--conditions=dingbot:source", "--import", "tsx", file.pathname, ...flags];
  const result = spawnSync(process.execPath, nodeArgs, { stdio: "inherit" });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
