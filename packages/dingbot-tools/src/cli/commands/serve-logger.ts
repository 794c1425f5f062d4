/**
 * The pino logger of `dingbot serve` / `dingbot listen`: JSON lines on the CLI's stdout (or stderr),
 * with every field that could carry a secret censored.
 * @module
 */
import type { Logger } from "dingbot";
import { pino } from "pino";

/** Field paths pino censors, in case anything ever passes them to the logger. */
export const REDACTED_PATHS = [
  "appSecret",
  "*.appSecret",
  "sign",
  "*.sign",
  "headers.sign",
  "headers.timestamp",
  "sessionWebhook",
  "*.sessionWebhook",
  "accessToken",
  "*.accessToken",
  "ticket",
  "*.ticket",
];

/**
 * Creates the CLI's logger.
 * @param write - where each JSON line goes
 * @param level - pino level (default info)
 */
export function createCliLogger(write: (line: string) => void, level = "info"): Logger {
  return pino(
    { level, base: undefined, redact: { paths: REDACTED_PATHS, censor: "***" } },
    { write: (line: string) => write(line) },
  );
}
