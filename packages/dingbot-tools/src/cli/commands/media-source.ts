/**
 * The local side of media commands: the files a flag or argument names (checked before any request, so a
 * wrong path is a usage error naming the flag) and `--max-bytes` sizes.
 * @module
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type CliIo, CliUsageError, errorMessage } from "../io.js";

/**
 * Resolves a file a flag names against the io's working directory and checks that it is a readable file.
 * @param value - the flag's value
 * @param what - the flag (`--image`) or argument (`FILE`), for the message
 * @param hint - what to give instead
 * @returns the absolute path
 * @throws CliUsageError naming the flag, the path and why it cannot be sent
 */
export async function localFile(io: CliIo, value: string, what: string, hint: string): Promise<string> {
  if (!value) throw new CliUsageError(`${what} is empty`, hint);
  const path = resolve(io.cwd, value);
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : errorMessage(error);
    throw new CliUsageError(`${what} ${value}: cannot read ${path} (${reason})`, hint);
  }
  if (!isFile) throw new CliUsageError(`${what} ${value}: ${path} is not a file`, hint);
  return path;
}

const SIZE = /^(\d+)\s*(?:([kmg])(?:i?b)?|b)?$/i;
const UNIT_BYTES = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 } as const;

/**
 * Parses a size flag: bytes, or with a binary unit (`512K`, `100M`, `1G`; `100MiB` and `100MB` read the
 * same).
 * @param value - the flag's text
 * @param flag - the flag's name, for the message (e.g. `--max-bytes`)
 * @returns bytes, at least 1
 * @throws CliUsageError naming the flag, the value, and how to write one
 */
export function parseByteSize(value: string, flag: string): number {
  const match = SIZE.exec(value.trim());
  const bytes = match
    ? Number(match[1]) * (match[2] ? UNIT_BYTES[match[2].toLowerCase() as keyof typeof UNIT_BYTES] : 1)
    : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new CliUsageError(
      `${flag} must be a size in bytes, got ${JSON.stringify(value)}`,
      "e.g. 1048576, 512K, 100M or 1G (units are binary: 1M = 1048576 bytes)",
    );
  }
  return bytes;
}
