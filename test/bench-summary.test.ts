// The summary table of bench/RESULTS.md (bench/_summary-table.ts): the verdicts, the rows for figures not
// measured, and the rewrite between the markers. Pure: no benchmark runs.
import { describe, expect, it } from "vitest";
import {
  END_MARKER,
  formatRun,
  type GoalEntry,
  goalMet,
  replaceSummary,
  START_MARKER,
  summaryTable,
  verdict,
} from "../bench/_summary-table.js";

const run = { date: "2026-12-03T14:08:31.000Z", loadavg: "0.28 1.04 1.46 2/90 32017", commit: "abc1234" };
const entry = (over: Partial<GoalEntry>): GoalEntry => ({
  id: "x",
  issue: 3,
  figure: "figure",
  command: "npm run bench -- x",
  value: 1,
  unit: "×",
  goal: null,
  run,
  ...over,
});

describe("goalMet and verdict", () => {
  it("decides >= goals, the target itself included", () => {
    expect(goalMet(1.2, { op: ">=", target: 1.2 })).toBe(true);
    expect(goalMet(1.19, { op: ">=", target: 1.2 })).toBe(false);
    expect(verdict(entry({ value: 2.1, goal: { op: ">=", target: 2 } }))).toBe("yes");
    expect(verdict(entry({ value: 0.9, goal: { op: ">=", target: 2 } }))).toBe("no");
  });

  it("decides <= and == goals", () => {
    expect(goalMet(1.5, { op: "<=", target: 1.5 })).toBe(true);
    expect(goalMet(1.51, { op: "<=", target: 1.5 })).toBe(false);
    expect(goalMet(1, { op: "==", target: 1 })).toBe(true);
    expect(goalMet(2, { op: "==", target: 1 })).toBe(false);
  });

  it("has nothing to decide without a goal or without a value", () => {
    expect(goalMet(1, null)).toBeUndefined();
    expect(goalMet(null, { op: ">=", target: 1 })).toBeUndefined();
    expect(verdict(entry({ value: 1, goal: null }))).toBe("—");
    expect(verdict(entry({ value: null, goal: { op: ">=", target: 1 } }))).toBe("not measured");
  });

  it("puts the note after the verdict", () => {
    expect(verdict(entry({ value: 0.7, goal: { op: ">=", target: 2 }, note: "see issue 3" }))).toBe(
      "no: see issue 3",
    );
  });
});

describe("summaryTable", () => {
  const files = [
    {
      bench: "sender",
      goals: [
        entry({
          id: "vs-robot-sender",
          figure: "sender msg/s vs dingtalk-robot-sender",
          command: "BENCH_ROUNDS=1 npm run bench -- sender",
          value: 0.95,
          goal: { op: ">=", target: 2 },
          detail: "worst of 4 cells",
        }),
      ],
    },
    {
      bench: "app-api",
      goals: [
        entry({
          id: "tokens",
          issue: 6,
          figure: "token requests | cold",
          value: 1,
          unit: "",
          goal: { op: "==", target: 1 },
        }),
        entry({
          id: "finalized",
          issue: 6,
          figure: "source end → finalized",
          value: 120,
          unit: "ms",
          goal: { op: "<=", target: 309, text: "≤ 300 ms + one round trip" },
        }),
      ],
    },
  ];
  const table = summaryTable(files, [
    { bench: "sender", command: "npm run bench -- sender" },
    { bench: "stream", command: "npm run bench -- stream" },
  ]);
  const lines = table.split("\n");

  it("prints one row per goal, by issue, with value, goal, verdict, date and load", () => {
    expect(lines[0]).toBe("| issue | figure (command) | result | goal | met? | date/load |");
    expect(lines[2]).toBe(
      "| 3 | sender msg/s vs dingtalk-robot-sender (`BENCH_ROUNDS=1 npm run bench -- sender`) | 0.95× (worst of 4 cells) | ≥ 2× | no | 2026-12-03 14:08 UTC, load 0.28 (abc1234) |",
    );
    expect(lines[3]).toBe(
      "| 6 | token requests \\| cold (`npm run bench -- x`) | 1 | = 1 | yes | 2026-12-03 14:08 UTC, load 0.28 (abc1234) |",
    );
    expect(lines[4]).toContain("| 120 ms | ≤ 300 ms + one round trip | yes |");
  });

  it("says when a figure was typed in by hand", () => {
    expect(
      formatRun({ date: "2026-11-26T11:36:00Z", loadavg: "n/a", manual: "from the issue 8 section" }),
    ).toBe("2026-11-26 11:36 UTC, manual: from the issue 8 section");
  });

  it("shows an expected bench without results as not measured yet", () => {
    expect(lines[5]).toBe("| — | stream (`npm run bench -- stream`) | not measured yet | — | — | — |");
    expect(lines).toHaveLength(6);
  });
});

describe("replaceSummary", () => {
  it("replaces only what is between the markers", () => {
    const before = `# R\n\ntext above\n\n${START_MARKER}\n\n| old |\n\n${END_MARKER}\n\n## Next\n`;
    expect(replaceSummary(before, "| new |")).toBe(
      `# R\n\ntext above\n\n${START_MARKER}\n\n| new |\n\n${END_MARKER}\n\n## Next\n`,
    );
  });

  it("refuses a file without the markers", () => {
    expect(() => replaceSummary("# R\n", "| new |")).toThrow(/markers/);
  });
});
