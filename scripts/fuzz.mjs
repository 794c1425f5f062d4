// The standing fuzz campaign: runs test/fuzz with FUZZ_RUNS cases per target (default 100,000) and writes
// the counts into bench/RESULTS.md's "Fuzz campaign" section, replacing the previous one.
//
//   npm run fuzz                          # 100,000 cases per target, a fresh seed
//   FUZZ_RUNS=20000 npm run fuzz          # fewer
//   FUZZ_SEED=1234 npm run fuzz           # replay a run (same FUZZ_RUNS too)
//   npm run fuzz -- test/fuzz/relay.test.ts   # one target (the section then lists only it)
//
// Extra arguments go to vitest. Exit code: vitest's (non-zero when some property failed).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { recordGoal } from "../bench/_goals.mjs";

const RESULTS = "bench/RESULTS.md";
const HEADING = "## Fuzz campaign";
const runs = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 100_000;
const seed = Number.isSafeInteger(Number(process.env.FUZZ_SEED))
  ? Number(process.env.FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const extra = process.argv.slice(2);
const files = extra.length > 0 ? extra : ["test/fuzz"];
const command = `FUZZ_RUNS=${runs} FUZZ_SEED=${seed} npm run fuzz${extra.length ? ` -- ${extra.join(" ")}` : ""}`;

mkdirSync(".tmp", { recursive: true });
const report = ".tmp/fuzz-report.jsonl";
rmSync(report, { force: true });
console.log(`fuzz: ${command}`);
const started = new Date();
const result = spawnSync("npx", ["vitest", "run", ...files], {
  stdio: "inherit",
  env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed), FUZZ_REPORT: report },
});

let parts = [];
try {
  parts = readFileSync(report, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  console.error("fuzz: no results were recorded (did vitest start?)");
}

/** Sums the parts of each target, in first-seen order. */
const targets = new Map();
for (const part of parts) {
  const t = targets.get(part.target) ?? { cases: 0, failures: 0, seconds: 0, parts: [], classes: [] };
  t.cases += part.cases;
  t.failures += part.failures;
  t.seconds += part.seconds;
  t.parts.push(`${part.part} ${part.cases.toLocaleString("en-US")}`);
  t.classes.push(...part.classes.map((c) => ({ ...c, part: part.part, seed: part.seed })));
  targets.set(part.target, t);
}

const when = `${started.toISOString().slice(0, 16).replace("T", " ")} UTC`;
/** The message and the first stack frame of a detail, without the checkout's path. */
const firstLines = (detail) =>
  detail
    .split("\n")
    .slice(0, 2)
    .map((line) => line.trim().replaceAll(`${process.cwd()}/`, ""))
    .join(" ")
    .slice(0, 400);
const cell = (text) => String(text).replaceAll("|", "\\|").replaceAll("\n", " ");
const lines = [
  HEADING,
  "",
  "Written by `npm run fuzz` (scripts/fuzz.mjs); each run replaces this section. The properties and",
  "generators are in `test/fuzz/` (`npm test` runs the same files with 2,000 cases per target). A run is",
  "reproduced by its command: the seed and the case count determine every generated request.",
  "",
  `Run of ${when}, \`${command}\`, vitest exit code ${result.status}.`,
  "",
  "| target | cases | failures | seconds | date | command |",
  "|---|---|---|---|---|---|",
  ...[...targets].map(
    ([name, t]) =>
      `| ${cell(name)} | ${t.cases.toLocaleString("en-US")} (${cell(t.parts.join(", "))}) | ${t.failures} | ${t.seconds.toFixed(1)} | ${when} | \`${cell(command)}\` |`,
  ),
];
const classes = [...targets].flatMap(([name, t]) => t.classes.map((c) => ({ target: name, ...c })));
if (classes.length > 0) {
  lines.push("", "Distinct failures (first case of each; the command reproduces them):", "");
  for (const c of classes) {
    lines.push(
      `- **${cell(c.target)}** (${c.part}, seed ${c.seed}), ${c.count}×: ${cell(c.signature)}. ${cell(firstLines(c.detail))}`,
      `  First case: \`${cell(c.example).slice(0, 600).replaceAll("`", "'")}\``,
    );
  }
} else if (targets.size > 0) {
  lines.push("", "No property failed.");
}
const section = `${lines.join("\n")}\n`;

const text = readFileSync(RESULTS, "utf8");
const at = text.indexOf(`\n${HEADING}\n`);
let next = at < 0 ? -1 : text.indexOf("\n## ", at + HEADING.length + 1);
if (at >= 0 && next < 0) next = text.length;
const updated =
  at < 0
    ? `${text.trimEnd()}\n\n${section}`
    : `${text.slice(0, at).trimEnd()}\n\n${section}${next < text.length ? `\n${text.slice(next + 1)}` : ""}`;
writeFileSync(RESULTS, updated);
console.log(`fuzz: ${parts.length} parts of ${targets.size} targets written to ${RESULTS} (${HEADING})`);
// The whole campaign (not a run of some targets) is the goal of bench/RESULTS.md's summary table.
if (extra.length === 0 && targets.size > 0) {
  const all = [...targets.values()];
  recordGoal({
    bench: "fuzz",
    id: "cases-per-target",
    issue: 11,
    figure: `fuzz campaign, cases per target (the fewest): ${[...targets.keys()].join(", ")}`,
    value: Math.min(...all.map((t) => t.cases)),
    unit: "",
    goal: { op: ">=", target: 100_000 },
    detail: `${targets.size} targets, seed ${seed}, vitest exit code ${result.status}`,
    command,
  });
  recordGoal({
    bench: "fuzz",
    id: "failures",
    issue: 11,
    figure: "fuzz campaign: failing cases, all targets",
    value: all.reduce((sum, t) => sum + t.failures, 0),
    unit: "",
    goal: { op: "==", target: 0 },
    command,
  });
}
process.exit(result.status ?? 1);
