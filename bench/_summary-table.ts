// The summary table of bench/RESULTS.md, from the entries bench/_goals.mjs's recordGoal writes into
// bench/results/<bench>.json. Pure: bench/summary.mjs reads the files and writes RESULTS.md.

export type GoalOp = ">=" | "<=" | "==" | ">" | "<";
export interface Goal {
  op: GoalOp;
  target: number;
  /** Printed instead of the op and target (e.g. "≤ 300 ms + one round trip"). */
  text?: string;
}
export interface GoalEntry {
  id: string;
  issue: number;
  figure: string;
  command: string;
  value: number | null;
  unit?: string;
  goal?: Goal | null;
  detail?: string;
  note?: string;
  /** manual: how a figure not recorded by its script came here (shown instead of the load). */
  run: { date: string; loadavg: string; commit?: string; manual?: string; [key: string]: unknown };
}
export interface ResultsFile {
  bench: string;
  goals: GoalEntry[];
}
/** A benchmark (or script) the table should have a row for, measured or not. */
export interface ExpectedBench {
  bench: string;
  command: string;
}

export const START_MARKER = "<!-- summary:start -->";
export const END_MARKER = "<!-- summary:end -->";

const SYMBOL: Record<GoalOp, string> = { ">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<" };

/** Whether value meets the goal; undefined when there is nothing to decide (no value or no goal). */
export function goalMet(
  value: number | null | undefined,
  goal: Goal | null | undefined,
): boolean | undefined {
  if (value === null || value === undefined || !Number.isFinite(value) || !goal) return undefined;
  switch (goal.op) {
    case ">=":
      return value >= goal.target;
    case "<=":
      return value <= goal.target;
    case "==":
      return value === goal.target;
    case ">":
      return value > goal.target;
    case "<":
      return value < goal.target;
  }
}

export function formatValue(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "not measured";
  const number =
    Number.isInteger(value) && Math.abs(value) >= 10_000 ? value.toLocaleString("en-US") : String(value);
  if (unit === "") return number;
  return unit === "×" ? `${number}×` : `${number} ${unit}`;
}

export function formatGoal(goal: Goal | null | undefined, unit = ""): string {
  if (!goal) return "—";
  return goal.text ?? `${SYMBOL[goal.op]} ${formatValue(goal.target, unit)}`;
}

/** "yes", "no", "—" (no goal) or "not measured", with the entry's note after it. */
export function verdict(entry: Pick<GoalEntry, "value" | "goal" | "note">): string {
  const met = goalMet(entry.value, entry.goal);
  const word =
    entry.value === null || entry.value === undefined || !Number.isFinite(entry.value)
      ? "not measured"
      : met === undefined
        ? "—"
        : met
          ? "yes"
          : "no";
  return entry.note ? `${word}: ${entry.note}` : word;
}

/**
 * "2026-12-03 14:08 UTC, load 0.28 (abc1234)": the date to the minute, the 1-minute load average, the commit;
 * for an entry typed in by hand, "manual: " and how it was measured instead of the load.
 */
export function formatRun(run: GoalEntry["run"]): string {
  const date = `${run.date.slice(0, 16).replace("T", " ")} UTC`;
  const commit = run.commit && run.commit !== "n/a" ? ` (${run.commit})` : "";
  if (run.manual) return `${date}, manual: ${run.manual}${commit}`;
  return `${date}, load ${run.loadavg.split(" ")[0]}${commit}`;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/**
 * The markdown table: one row per recorded goal, ordered by issue, then bench, then the order the bench
 * recorded them in; then a "not measured yet" row for each expected bench without a results file.
 */
export function summaryTable(files: readonly ResultsFile[], expected: readonly ExpectedBench[] = []): string {
  const rows = files
    .flatMap((file) => file.goals.map((entry, index) => ({ bench: file.bench, index, entry })))
    .sort((a, b) => a.entry.issue - b.entry.issue || a.bench.localeCompare(b.bench) || a.index - b.index)
    .map(({ entry }) => {
      const result = `${formatValue(entry.value, entry.unit)}${entry.detail ? ` (${entry.detail})` : ""}`;
      return [
        String(entry.issue),
        `${entry.figure} (\`${entry.command}\`)`,
        result,
        formatGoal(entry.goal, entry.unit),
        verdict(entry),
        formatRun(entry.run),
      ];
    });
  const recorded = new Set(files.map((file) => file.bench));
  for (const { bench, command } of expected) {
    if (!recorded.has(bench))
      rows.push(["—", `${bench} (\`${command}\`)`, "not measured yet", "—", "—", "—"]);
  }
  return [
    "| issue | figure (command) | result | goal | met? | date/load |",
    "|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** markdown with the text between the summary markers replaced by table; throws when a marker is missing. */
export function replaceSummary(markdown: string, table: string): string {
  const start = markdown.indexOf(START_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`the markers ${START_MARKER} … ${END_MARKER} were not found`);
  return `${markdown.slice(0, start + START_MARKER.length)}\n\n${table}\n\n${markdown.slice(end)}`;
}
