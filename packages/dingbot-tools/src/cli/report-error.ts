/**
 * The CLI's one error reporter: how every command prints a failure (an `error:` line and maybe a `hint:`
 * line on stderr, and with `--output json` one JSON line on stdout), and the one table of exit codes.
 * Commands add describers for the library errors they expect; run() reports whatever escapes them.
 * @module
 */
import { CommanderError } from "commander";
import { ValidationError } from "dingbot-sdk/client";
import { CliFailure, CliUsageError, EXIT, errorMessage } from "./io.js";
import type { Printer } from "./printer.js";

/** How one error is shown. */
export interface ErrorReport {
  /** The `error:` line. */
  message: string;
  /** The `hint:` line: what to do about it. */
  hint?: string;
  /** The JSON line of `--output json`; default `{ ok: false, error, hint }` ({@link jsonReport}). */
  json?: object;
}

/** Describes the errors it knows, and returns undefined for the others. */
export type DescribeError = (error: unknown) => ErrorReport | undefined;

/**
 * The exit code of an error, for every command: 0 for help and version, 2 for bad usage or a message the
 * library refused before sending (nothing was sent), a {@link CliFailure}'s own code, else 1.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    const done =
      error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0;
    return done ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof CliUsageError || error instanceof ValidationError) return EXIT.USAGE;
  if (error instanceof CliFailure) return error.exitCode;
  return EXIT.FAILURE;
}

/** The default JSON line of a failure: `{ ok: false, error, hint }` and any extra fields. */
export function jsonReport(message: string, hint?: string, extra: object = {}): object {
  return { ok: false, error: message, ...(hint ? { hint } : {}), ...extra };
}

/** The CLI's own errors: a usage error with its hint, a failure with its message. */
const describeCliError: DescribeError = (error) => {
  if (error instanceof CliUsageError)
    return { message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof CliFailure) return { message: error.message };
  return undefined;
};

/** Any error at all, by its message: run()'s net under what the commands did not expect. */
export const describeUnexpected: DescribeError = (error) => ({
  message: errorMessage(error),
});

/**
 * Prints an error and returns its exit code ({@link exitCodeOf}). Commander's own errors were printed by
 * commander. The CLI's errors are described here, the rest by `describers` in order; an error none of them
 * knows is rethrown, for run()'s net ({@link describeUnexpected}).
 * @param error - what the run threw
 * @param print - the run's printer (it masks the secrets; `json` adds the JSON line on stdout)
 * @param describers - the command's describers of the library errors it expects
 */
export function reportError(error: unknown, print: Printer, ...describers: DescribeError[]): number {
  if (error instanceof CommanderError) return exitCodeOf(error);
  let report = describeCliError(error);
  for (const describe of describers) report ??= describe(error);
  if (report === undefined) throw error;
  if (print.json) print.out(`${JSON.stringify(report.json ?? jsonReport(report.message, report.hint))}\n`);
  print.err(`error: ${report.message}\n${report.hint ? `hint: ${report.hint}\n` : ""}`);
  return exitCodeOf(error);
}
