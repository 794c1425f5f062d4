/**
 * What every command prints through: stdout and stderr with the run's secrets masked, and whether the
 * result is to be JSON (`--output json`).
 * @module
 */
import { redactText } from "dingbot-sdk/client";
import type { CliIo } from "./io.js";
import { withEnvSecrets } from "./secrets.js";

/** Output helpers that mask the run's secrets and every token it saw. */
export interface Printer {
  out(text: string): void;
  err(text: string): void;
  /** Adds a value to mask from now on. */
  mask(secret: string | undefined): void;
  json: boolean;
}

/**
 * Builds the {@link Printer} of a run. It masks the given secrets, the secret variables of the environment
 * (DINGTALK_SECRET, DINGTALK_APP_SECRET, DINGTALK_WEBHOOK) and the token inside any webhook URL among them.
 * @param io - the run's streams and environment
 * @param output - the `--output` flag (`json` or text)
 * @param secrets - secret values from the command's flags
 */
export function printer(
  io: CliIo,
  output: string | undefined,
  secrets: (string | undefined)[] = [],
): Printer {
  const masked: (string | undefined)[] = withEnvSecrets(secrets, io.env);
  const clean = (text: string): string => redactText(text, masked);
  return {
    out: (text) => io.stdout(clean(text)),
    err: (text) => io.stderr(clean(text)),
    mask: (secret) => {
      masked.push(secret);
    },
    json: output === "json",
  };
}
