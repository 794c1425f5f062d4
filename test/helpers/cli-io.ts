/**
 * A {@link CliIo} for running CLI code in-process: stdout and stderr captured as text, nothing from the
 * real process (no environment, no stdin) unless given.
 */
import type { CliIo } from "../../packages/dingbot-tools/src/cli/io.js";

/** Options of {@link captureIo}: anything of the io to replace, and stdin's text. */
export type CaptureIoOptions = Partial<Omit<CliIo, "stdout" | "stderr" | "readStdin">> & { stdin?: string };

/** A CliIo whose output is kept in `out` and `err`. */
export function captureIo(options: CaptureIoOptions = {}): CliIo & { out: string; err: string } {
  const { stdin = "", ...rest } = options;
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
    env: {},
    readStdin: async () => stdin,
    fetch: globalThis.fetch,
    cwd: process.cwd(),
    signal: new AbortController().signal,
    isTTY: false,
    ...rest,
  };
  return io;
}
