// One command for every benchmark: `npm run bench` runs them all, `npm run bench -- sender relay` some.
// Each benchmark is bench/<name>.mjs (or .ts, run through tsx), prints its figures, and compares against a
// baseline measured in the same run. Figures are copied by hand into bench/RESULTS.md with the date.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const dir = new URL(".", import.meta.url);
const available = readdirSync(dir)
  .filter((f) => /\.(mjs|ts)$/.test(f) && !["run.mjs"].includes(f) && !f.startsWith("_"))
  .map((f) => f.replace(/\.(mjs|ts)$/, ""));
const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : available;
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
  const args = ["--conditions=dingbot:source", "--import", "tsx", file.pathname];
  const result = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
