/**
 * The `--verbose` logger of the commands that talk to DingTalk: one line per log call.
 * @module
 */
import type { Logger } from "dingbot-sdk/client";

/**
 * A {@link Logger} that writes `[level] message {fields}` lines.
 * @param write - where lines go; pass a redacting writer (the client already masks URLs, this masks again)
 */
export function verboseLogger(write: (text: string) => void): Logger {
  const line = (level: string) => (obj: object, msg?: string) =>
    write(`[${level}] ${msg ?? ""} ${JSON.stringify(obj)}\n`);
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}
