import { nodeIo } from "./io.js";
import { run } from "./run.js";

/** Entry point of the `dingbot` executable: the only place that touches `process`. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const stop = (): void => {
    interrupts += 1;
    // A second Ctrl-C means "now": leave without waiting for clean shutdown.
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  // `dingbot … | head -1` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.exitCode = await run(process.argv.slice(2), nodeIo(controller.signal));
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
}
