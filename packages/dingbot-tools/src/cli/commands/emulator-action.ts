import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { parsePort, parseWholeNumber } from "../parse-flags.js";
import type { EmulatorFlags } from "./emulator.js";

/** Starts the emulator and keeps it running until the io's signal aborts. */
export async function runEmulator(flags: EmulatorFlags, io: CliIo): Promise<number> {
  const port = parsePort(flags.port);
  const rateLimit = parseWholeNumber(flags.rateLimit, "--rate-limit");
  const rateWindowMs = parseWholeNumber(flags.rateWindow, "--rate-window");
  const blockMs = parseWholeNumber(flags.block, "--block");
  const sessionTtlMs = parseWholeNumber(flags.sessionTtl, "--session-ttl");
  const callbackTimeoutMs = parseWholeNumber(flags.callbackTimeout, "--callback-timeout");
  const callbackAttempts = parseWholeNumber(flags.callbackAttempts, "--callback-attempts");
  if (rateLimit < 1) throw new CliUsageError("--rate-limit must be at least 1");
  if (rateWindowMs < 1) throw new CliUsageError("--rate-window must be at least 1 ms");
  if (callbackAttempts < 1) throw new CliUsageError("--callback-attempts must be at least 1");
  const { createEmulator } = await import("../../emulator/index.js");
  const emulator = createEmulator({
    rateLimit,
    rateWindowMs,
    blockMs,
    sessionTtlMs,
    callbackTimeoutMs,
    callbackAttempts,
  });
  if (flags.state) {
    const { loadStateFile, StateFileError } = await import("../../emulator/state-file.js");
    try {
      await loadStateFile(emulator.store, flags.state, io.cwd);
    } catch (error) {
      // A bad state file is bad usage: say which entry, exit 2, start nothing.
      if (error instanceof StateFileError) throw new CliUsageError(error.message);
      throw error;
    }
  }
  const url = await emulator.listen(port, flags.host);
  io.stdout(`DingTalk emulator listening on ${url}\nchat page: ${url}/\nexport DINGTALK_BASE_URL=${url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await emulator.close();
  return EXIT.OK;
}
