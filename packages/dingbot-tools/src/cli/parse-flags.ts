/**
 * Parsing of numeric flags, shared by every command so that a bad value is always a usage error (exit 2)
 * that names the flag.
 * @module
 */
import { CliUsageError } from "./io.js";

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
