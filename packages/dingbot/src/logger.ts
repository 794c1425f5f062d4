/**
 * The logger interface the library writes to, and the one redaction config for the pino loggers built on
 * it (the CLI's serve/listen logger, the relay's). The library never calls console.*: pass a pino logger,
 * or anything with these four methods.
 * @module
 */
import { redactText, redactUrl } from "./redact.js";

/** Structured logger (pino-compatible: object first, then message). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** A logger that drops everything: the library's default. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Log fields that may carry a secret, as pino `redact` paths. Explicit paths only: wildcards make pino's
 * redaction walk every log object, which was measurable per message in the bot benchmark.
 */
export const LOG_REDACT_PATHS: readonly string[] = Object.freeze([
  "appSecret",
  "secret",
  "sign",
  "token",
  "accessToken",
  "ticket",
  "webhook",
  "url",
  "sessionWebhook",
  "message.sessionWebhook",
  "downloadUrl",
  "headers.sign",
  "headers.timestamp",
  "headers.authorization",
  'headers["x-hub-signature-256"]',
]);

/** Options of {@link logRedaction}. */
export interface LogRedactionOptions {
  /** Literal values (tokens, secrets) to mask inside a censored URL. */
  secrets?: readonly string[];
  /**
   * Also censor these fields one level down (`*.url`…), for loggers that nest request objects (the relay);
   * it costs a walk of every log object.
   */
  nested?: boolean;
}

/** A pino `redact` option: the paths and the censor. Structurally typed, so the library needs no pino. */
export interface LogRedaction {
  paths: string[];
  censor: (value: unknown) => string;
}

/**
 * The one pino redaction config of dingbot: pass it as pino's `redact` option. A censored URL keeps its
 * host and path, with its secrets masked (a webhook stays recognisable in a log); anything else becomes `***`.
 * @param options - secrets to mask inside URLs, and whether to censor nested fields too
 * @example
 * const logger = pino({ level: "info", redact: logRedaction({ secrets: [appSecret] }) });
 */
export function logRedaction(options: LogRedactionOptions = {}): LogRedaction {
  const secrets = options.secrets ?? [];
  const paths = [...LOG_REDACT_PATHS];
  if (options.nested) paths.push(...LOG_REDACT_PATHS.map((path) => `*.${path}`));
  return {
    paths,
    censor: (value) =>
      typeof value === "string" && /^https?:\/\//.test(value) ? redactText(redactUrl(value), secrets) : "***",
  };
}
