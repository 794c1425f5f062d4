/**
 * The pino logger of `dingbot serve` / `dingbot listen`: JSON lines on the CLI's stdout (or stderr),
 * with every field that could carry a secret censored by the library's one redaction config (`logRedaction`).
 * @module
 */
import { type Logger, logRedaction } from "dingbot-sdk";
import { pino } from "pino";

/**
 * What to do about a refused callback, added to its log line as `hint`: the transport knows only that the
 * signature failed, the CLI knows where the secret came from.
 */
export const REJECTION_HINTS: Readonly<Record<string, string>> = {
  mismatch:
    "check DINGTALK_APP_SECRET (or --app-secret): it must be the AppSecret of the app whose robot DingTalk calls",
  stale: "the timestamp is more than an hour from this machine's clock: check the clock (NTP)",
};

const NO_HINT = {};

/** pino mixin: a `hint` for the rejection reasons above; nothing (and no allocation) for other lines. */
function hintFor(fields: object): object {
  const reason = (fields as { reason?: unknown }).reason;
  const hint = typeof reason === "string" ? REJECTION_HINTS[reason] : undefined;
  return hint === undefined ? NO_HINT : { hint };
}

/** The CLI's logger: pino, plus {@link CliLogger.flush} for the lines still buffered. */
export interface CliLogger extends Logger {
  /** Writes out the buffered lines now (call before exiting). */
  flush(): void;
}

/**
 * Creates the CLI's logger. Lines are batched and written once per event-loop turn: a synchronous write per
 * message (stdout is a file or /dev/null more often than not) cost more than the rest of the logging.
 * @param write - where the JSON lines go
 * @param level - pino level (default info)
 * @param secrets - literal values (the app secret) to mask inside a censored URL too
 */
export function createCliLogger(
  write: (text: string) => void,
  level = "info",
  secrets: readonly string[] = [],
): CliLogger {
  let buffered = "";
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (buffered === "") return;
    const text = buffered;
    buffered = "";
    write(text);
  };
  const logger = pino(
    { level, base: undefined, redact: logRedaction({ secrets }), mixin: hintFor },
    {
      write: (line: string) => {
        buffered += line;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      },
    },
  );
  return Object.assign(logger, { flush });
}
