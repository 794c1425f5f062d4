import { type CliIo, CliUsageError, EXIT } from "../io.js";
import type { EmulatorFlags } from "./emulator.js";

/** Starts the emulator and keeps it running until the io's signal aborts. */
export async function runEmulator(flags: EmulatorFlags, io: CliIo): Promise<number> {
  const port = parseInteger(flags.port, "--port");
  const rateLimit = parseInteger(flags.rateLimit, "--rate-limit");
  const rateWindowMs = parseInteger(flags.rateWindow, "--rate-window");
  const blockMs = parseInteger(flags.block, "--block");
  const sessionTtlMs = parseInteger(flags.sessionTtl, "--session-ttl");
  const callbackTimeoutMs = parseInteger(flags.callbackTimeout, "--callback-timeout");
  const callbackAttempts = parseInteger(flags.callbackAttempts, "--callback-attempts");
  if (port > 65535) throw new CliUsageError(`--port must be at most 65535, got ${port}`);
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

/** Parses a non-negative integer flag or throws a usage error naming the flag. */
export function parseInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value))
    throw new CliUsageError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}
