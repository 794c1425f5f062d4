// The summary table of every goal, from the figures the benchmarks recorded in bench/results/*.json (see
// bench/_goals.mjs). `npm run bench` runs it last, after the others.
//
//   npm run bench -- summary            # prints the table
//   npm run bench -- summary --write    # also rewrites it in bench/RESULTS.md, between the summary markers
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RESULTS_DIR } from "./_goals.mjs";
import { replaceSummary, summaryTable } from "./_summary-table.ts";

const BENCH = fileURLToPath(new URL(".", import.meta.url));
const RESULTS = join(BENCH, "RESULTS.md");

const files = existsSync(RESULTS_DIR)
  ? readdirSync(RESULTS_DIR)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => JSON.parse(readFileSync(join(RESULTS_DIR, name), "utf8")))
  : [];
// Every benchmark gets a row, measured or not; and the two campaigns that are not part of `npm run bench`.
const expected = readdirSync(BENCH)
  .filter((name) => /^[^_].*\.(mjs|ts)$/.test(name) && !["run.mjs", "summary.mjs"].includes(name))
  .map((name) => name.replace(/\.(mjs|ts)$/, ""))
  .map((bench) => ({ bench, command: `npm run bench -- ${bench}` }));
expected.push(
  { bench: "fresh-clone", command: "bench/fresh-clone.sh" },
  { bench: "fuzz", command: "npm run fuzz" },
);
const table = summaryTable(files, expected);
console.log(table);

if (process.argv.includes("--write")) {
  writeFileSync(RESULTS, replaceSummary(readFileSync(RESULTS, "utf8"), table));
  console.log(`\nwritten to ${RESULTS} (between the summary markers)`);
}
