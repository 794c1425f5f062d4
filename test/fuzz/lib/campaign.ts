/**
 * The fuzz campaign's driver: how many cases, which seed, and a run that keeps going after a failure so one
 * run reports every distinct failure (grouped by a short signature, each with its first example and the
 * seed that reproduces the whole sequence).
 *
 * Environment:
 * - `FUZZ_RUNS`: cases per target (default {@link CI_RUNS}; `npm run fuzz` sets 100000)
 * - `FUZZ_SEED`: fast-check seed (default a fixed one, so `npm test` is deterministic)
 * - `FUZZ_REPORT`: a file each target appends one JSON line to (used by scripts/fuzz.mjs)
 */
import { appendFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Cases per target in `npm test`: enough to catch regressions, small enough for ~60 s on 2 cores. */
export const CI_RUNS = 2000;

/** Cases per target. */
export function runsPerTarget(): number {
  const value = Number(process.env.FUZZ_RUNS);
  return Number.isSafeInteger(value) && value > 0 ? value : CI_RUNS;
}

/** The seed of every property in this run. */
export function fuzzSeed(): number {
  const value = Number(process.env.FUZZ_SEED);
  return Number.isSafeInteger(value) ? value : 20_261_203;
}

/** Splits a target's cases between the in-process bulk and the real-socket part (at least 1 each). */
export function split(total: number, socketShare = 0.1): { inProcess: number; socket: number } {
  const socket = Math.max(1, Math.round(total * socketShare));
  return { inProcess: Math.max(1, total - socket), socket };
}

/** One failed check of one case. */
export interface Failure {
  /** Short, stable class of the failure, e.g. `status 500 on POST /robot/send`. */
  signature: string;
  /** What was expected and what happened. */
  detail: string;
}

/** The result of one part of a target. */
export interface PartResult {
  target: string;
  part: string;
  cases: number;
  failures: number;
  seconds: number;
  seed: number;
  /** Distinct failure classes: count and first example. */
  classes: Array<{ signature: string; count: number; detail: string; example: string }>;
}

/**
 * Runs `check` on `runs` generated cases. A case's failures are recorded, not thrown, so the run goes on.
 * @param target - the server, e.g. `emulator DingTalk paths`
 * @param part - e.g. `in-process` or `127.0.0.1 socket`
 * @param arbitrary - generates the cases
 * @param check - sends one case and returns what went wrong (empty when all held)
 * @param describe - a short, reproducible description of a case for the report
 */
export async function runPart<T>(
  target: string,
  part: string,
  runs: number,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T, index: number) => Promise<Failure[]>,
  describe: (value: T) => string,
): Promise<PartResult> {
  // Each part has its own seed (the socket part does not replay the bulk's first cases).
  const seed = fuzzSeed() + (part === "in-process" ? 0 : 1);
  const classes = new Map<string, { count: number; detail: string; example: string }>();
  let failures = 0;
  let index = 0;
  const started = performance.now();
  const outcome = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      let found: Failure[];
      if (process.env.FUZZ_STATS && index > 0 && index % 1000 === 0) {
        console.log(
          `${target} (${part}): ${index} cases after ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      try {
        found = await check(value, index++);
      } catch (error) {
        found = [{ signature: "the harness threw", detail: String((error as Error)?.stack ?? error) }];
      }
      if (found.length > 0) failures += 1;
      for (const f of found) {
        const known = classes.get(f.signature);
        if (known) known.count += 1;
        else classes.set(f.signature, { count: 1, detail: f.detail, example: describe(value) });
      }
      return true;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  const result: PartResult = {
    target,
    part,
    cases: outcome.numRuns,
    failures,
    seconds: (performance.now() - started) / 1000,
    seed,
    classes: [...classes].map(([signature, c]) => ({ signature, ...c })),
  };
  if (process.env.FUZZ_REPORT) appendFileSync(process.env.FUZZ_REPORT, `${JSON.stringify(result)}\n`);
  return result;
}

/** Counts of answer kinds per route, printed with FUZZ_STATS=1 to see how deep the generators reach. */
export class Tally {
  readonly counts = new Map<string, number>();
  readonly ms = new Map<string, number>();

  /** Counts one answer of kind `key`, and how long it took when given. */
  add(key: string, ms?: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (ms !== undefined) this.ms.set(key, (this.ms.get(key) ?? 0) + ms);
  }

  /** Prints the counts (only with FUZZ_STATS set). */
  print(title: string): void {
    if (!process.env.FUZZ_STATS) return;
    const lines = [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => {
        const ms = this.ms.get(k);
        return `${String(n).padStart(7)}  ${ms === undefined ? "" : `${(ms / n).toFixed(2).padStart(7)} ms  `}${k}`;
      });
    console.log(`${title}\n${lines.join("\n")}`);
  }
}

/** A readable account of a part's failures, for the assertion message. */
export function failureReport(result: PartResult): string {
  if (result.classes.length === 0) return "";
  const lines = [
    `${result.target} (${result.part}): ${result.failures} of ${result.cases} cases failed; ` +
      `reproduce with FUZZ_SEED=${fuzzSeed()} FUZZ_RUNS=<same count> (this part ran with seed ${result.seed})`,
  ];
  for (const c of result.classes) {
    lines.push(`- ${c.signature} (${c.count}×): ${c.detail}`, `  first case: ${c.example}`);
  }
  return lines.join("\n");
}

/** Which part of an HTTP campaign runs a case. */
export type HttpPart = "in-process" | "socket";

/**
 * An HTTP target's two parts as vitest tests: the bulk in-process (`app.request()`), a share over a real
 * keep-alive socket on 127.0.0.1. Each part passes only with no failure class.
 * @param options.check - checks one case; `part` says which way to send it
 * @param options.afterSocket - more expectations once the socket part has run (before its failure check)
 */
export function httpCampaign<T>(options: {
  target: string;
  runs: { inProcess: number; socket: number };
  timeoutMs: number;
  arbitrary: fc.Arbitrary<T>;
  check: (part: HttpPart, value: T, index: number) => Promise<Failure[]>;
  describeCase: (value: T) => string;
  afterSocket?: () => void;
}): void {
  const { target, runs, timeoutMs, arbitrary, check, describeCase } = options;
  describe(`fuzz: ${target}`, () => {
    it(
      `in-process app.request(): ${runs.inProcess} cases`,
      async () => {
        const result = await runPart(
          target,
          "in-process",
          runs.inProcess,
          arbitrary,
          (v, i) => check("in-process", v, i),
          describeCase,
        );
        expect(result.classes, failureReport(result)).toEqual([]);
      },
      timeoutMs,
    );

    it(
      `127.0.0.1 keep-alive socket: ${runs.socket} cases`,
      async () => {
        const result = await runPart(
          target,
          "socket",
          runs.socket,
          arbitrary,
          (v, i) => check("socket", v, i),
          describeCase,
        );
        options.afterSocket?.();
        expect(result.classes, failureReport(result)).toEqual([]);
      },
      timeoutMs,
    );
  });
}
