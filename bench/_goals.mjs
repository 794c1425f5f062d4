// The figures behind bench/RESULTS.md's summary table. Each benchmark calls recordGoal once per goal at its
// end; `npm run bench -- summary` prints the table from bench/results/*.json, and
// `npm run bench -- summary --write` puts it into bench/RESULTS.md between <!-- summary:start --> and
// <!-- summary:end -->. bench/results/ is committed: the table is regenerated from measured figures, and a
// change of figure is reviewed as a diff of its JSON.
//
//   import { recordGoal } from "./_goals.mjs";          // from scripts/: "../bench/_goals.mjs"
//   recordGoal({
//     bench: "stream",                 // the file: bench/results/stream.json (one per benchmark)
//     id: "stream-window-500",         // stable within the bench; a later run replaces the entry of the same id
//     issue: 15,                       // the issue whose goal this is (a number)
//     figure: "stream bot msgs/s vs the official dingtalk-stream, window 500",
//     value: 1.31,                     // a number (rounded as it should print), or null: not measured this run
//     unit: "×",                       // printed after the value: "×", "ms", "s", "%", "MiB", "" for a count
//     goal: { op: ">=", target: 1.2 }, // op ">=", "<=", "==", ">" or "<"; optional text: "≤ 300 ms + one round
//                                      // trip" printed instead of "≤ 300 ms"; goal null or left out: no goal
//     detail: "rounds 1.2, 1.3, 1.4",  // optional, printed after the value
//     note: "the emulator sets the rate", // optional, printed after the verdict (yes / no)
//     command: "npm run fuzz",         // optional; default `npm run bench -- <bench>` led by the BENCH_* used
//   });
//
// Whether the goal is met is decided by the summary (bench/_summary-table.ts) from value, op and target, not
// by the benchmark. Each entry also keeps the run it came from: date (ISO), /proc/loadavg, Node version, CPU
// count, commit, the command line and the BENCH_* / FUZZ_* variables set. Entries are merged by id, so a run
// that measures only some goals (BENCH_STORM=0) leaves the others as they were, with their own dates.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const RESULTS_DIR = join(ROOT, "bench", "results");
const OPS = new Set([">=", "<=", "==", ">", "<"]);

/** The run an entry comes from. */
function runContext() {
  let loadavg = "n/a";
  try {
    loadavg = readFileSync("/proc/loadavg", "utf8").trim();
  } catch {}
  let commit = "n/a";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
  } catch {}
  const env = Object.fromEntries(
    Object.entries(process.env)
      .filter(([key]) => /^(BENCH|FUZZ)_/.test(key))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const argv = process.argv
    .slice(1)
    .map((arg) => (arg.startsWith(ROOT) ? relative(ROOT, arg) : arg))
    .join(" ");
  return {
    date: new Date().toISOString(),
    loadavg,
    node: process.version,
    cpus: availableParallelism(),
    commit,
    argv: `node ${argv}`,
    env,
  };
}

/**
 * Records one figure and its goal into bench/results/<bench>.json (replacing the entry with the same id) and
 * returns the entry written. `options.dir` writes elsewhere (tests).
 */
export function recordGoal(figure, options = {}) {
  const { bench, id, issue, figure: text, value, unit = "", goal = null, detail, note, command } = figure;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(bench ?? "")) throw new Error(`recordGoal: bad bench name ${bench}`);
  if (typeof id !== "string" || id === "") throw new Error("recordGoal: id is required");
  if (!Number.isInteger(issue)) throw new Error(`recordGoal ${id}: issue must be a number`);
  if (value !== null && !Number.isFinite(value))
    throw new Error(`recordGoal ${id}: value must be a number or null`);
  if (goal !== null && (!OPS.has(goal.op) || !Number.isFinite(goal.target)))
    throw new Error(`recordGoal ${id}: goal must be { op: ">=" | "<=" | "==" | ">" | "<", target: number }`);
  const run = runContext();
  const prefix = Object.entries(run.env)
    .map(([key, v]) => `${key}=${v} `)
    .join("");
  const entry = {
    id,
    issue,
    figure: text,
    command: command ?? `${prefix}npm run bench -- ${bench}`,
    value,
    unit,
    goal,
    ...(detail ? { detail } : {}),
    ...(note ? { note } : {}),
    run,
  };
  const dir = options.dir ?? RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${bench}.json`);
  let current = { bench, goals: [] };
  try {
    current = JSON.parse(readFileSync(file, "utf8"));
  } catch {}
  const at = current.goals.findIndex((g) => g.id === id);
  if (at >= 0) current.goals[at] = entry;
  else current.goals.push(entry);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(current, null, 2)}\n`);
  renameSync(temporary, file);
  return entry;
}
