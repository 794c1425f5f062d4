/**
 * The logger interface the library writes to. The library never calls console.*: pass a pino logger,
 * or anything with these four methods.
 * @module
 */

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
