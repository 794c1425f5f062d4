/**
 * Parsing of numeric flags, shared by every command so that a bad value is always a usage error (exit 2)
 * that names the flag.
 * @module
 */
import { CliUsageError } from "./io.js";

/** Commander's argParser of a repeatable flag: each use adds its value to the list. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Parses the `key=value` uses of a repeatable flag (split at the first `=`, so values keep theirs).
 * @param pairs - the flag's values
 * @param flag - the flag's name, for the message (e.g. `--param`)
 * @param hint - an example, for the message
 * @throws CliUsageError naming the use that has no key
 */
export function parseKeyValues(pairs: string[], flag: string, hint?: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliUsageError(`${flag} ${JSON.stringify(pair)} is not key=value`, hint);
    entries[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return entries;
}

/**
 * Parses a non-negative whole number.
 * @param value - the flag's text
 * @param flag - the flag's name, for the message (e.g. `--rate-limit`)
 * @throws CliUsageError when the text is not a whole number
 */
export function parseWholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value))
    throw new CliUsageError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * Parses a TCP port (0 picks a free one).
 * @param value - the flag's text
 * @param flag - the flag's name (default `--port`)
 * @throws CliUsageError when the text is not a port number
 */
export function parsePort(value: string, flag = "--port"): number {
  const port = parseWholeNumber(value, flag);
  if (port > 65535) throw new CliUsageError(`${flag} must be at most 65535, got ${port}`);
  return port;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * Parses a duration flag. Every command's durations read the same way: a number with a unit (`2500ms`,
 * `2.5s`, `60s`, `2m`), and a bare number is milliseconds, as in the emulator's `<ms>` flags.
 * @param value - the flag's text
 * @param flag - the flag's name, for the message (e.g. `--timeout`)
 * @param minMs - smallest sensible value, in ms (default 1)
 * @returns milliseconds, a whole number
 * @throws CliUsageError naming the flag, the value, and how to write one
 */
export function parseDuration(value: string, flag: string, minMs = 1): number {
  const match = DURATION.exec(value.trim());
  if (!match) {
    throw new CliUsageError(
      `${flag} must be a duration, got ${JSON.stringify(value)}`,
      "write it with a unit, e.g. 2500ms, 2.5s, 60s or 2m (a number alone is milliseconds)",
    );
  }
  const ms = Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? "ms") as keyof typeof UNIT_MS]);
  if (ms < minMs) {
    const unitless = match[2] === undefined ? ` (${value} alone is milliseconds)` : "";
    throw new CliUsageError(
      `${flag} must be at least ${formatDuration(minMs)}, got ${JSON.stringify(value)}${unitless}`,
      "write it with a unit, e.g. 2500ms, 2.5s, 60s or 2m",
    );
  }
  return ms;
}

/** Writes ms the way {@link parseDuration} reads it: `60s`, `2500ms`. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
