/**
 * The CLI's only seam to the outside world, so tests run commands in-process with captured output.
 * @module
 */

/** Streams, environment and network of one CLI run. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Reads all of standard input (for `-` arguments). */
  readStdin(): Promise<string>;
  /**
   * Standard input as UTF-8 text chunks, as they arrive (`dingbot card stream` shows a piped answer while
   * it is being written). Optional: without it the commands that want it read all of stdin at once.
   */
  stdinChunks?(): AsyncIterable<string>;
  fetch: typeof fetch;
  cwd: string;
  /** Aborted on Ctrl-C / SIGTERM; long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
  /** Whether stderr is a terminal (progress lines). */
  isTTY: boolean;
}

/** Exit codes every command shares. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** DingTalk refused, the network failed, or a check found problems. */
  FAILURE: 1,
  /** Bad usage or an invalid message, found before any request. */
  USAGE: 2,
} as const;

/** A usage problem: printed with a hint and exit code 2. */
export class CliUsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "CliUsageError";
  }
}

/** A failure after the command started: printed and exit code 1. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
  ) {
    super(message);
    this.name = "CliFailure";
  }
}

/** What a thrown value says: an Error's message, else the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves when the signal aborts (at once if it already has): what a long-running command waits for. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** The real process's io. Only bin.ts calls this. */
export function nodeIo(signal: AbortSignal): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    stdinChunks: () => {
      // The decoder keeps a character split across two reads whole.
      process.stdin.setEncoding("utf8");
      return process.stdin as AsyncIterable<string>;
    },
    fetch: globalThis.fetch,
    cwd: process.cwd(),
    signal,
    isTTY: Boolean(process.stderr.isTTY),
  };
}
