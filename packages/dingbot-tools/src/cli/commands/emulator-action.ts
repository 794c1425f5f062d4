import { type ErrmsgStyle, RATE_LIMIT_ERRCODES, type RateLimitErrcode } from "../../emulator/options.js";
import { CliFailure, type CliIo, CliUsageError, EXIT, errorMessage, untilAborted } from "../io.js";
import { parsePort, parseWholeNumber } from "../parse-flags.js";
import type { EmulatorFlags } from "./emulator-flags.js";

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
  const requestTimeoutMs = parseWholeNumber(flags.requestTimeout, "--request-timeout");
  if (callbackAttempts < 1) throw new CliUsageError("--callback-attempts must be at least 1");
  const rateLimitErrcode = Number(flags.rateLimitErrcode) as RateLimitErrcode;
  if (!RATE_LIMIT_ERRCODES.includes(rateLimitErrcode)) {
    throw new CliUsageError(`--rate-limit-errcode must be one of ${RATE_LIMIT_ERRCODES.join(", ")}`);
  }
  const errmsgStyle = flags.errmsgStyle as ErrmsgStyle;
  if (errmsgStyle !== "current" && errmsgStyle !== "legacy") {
    throw new CliUsageError("--errmsg-style must be current or legacy");
  }
  if (requestTimeoutMs < 100) throw new CliUsageError("--request-timeout must be at least 100 ms");
  const cardQps = parseWholeNumber(flags.cardQps, "--card-qps");
  if (cardQps < 1) throw new CliUsageError("--card-qps must be at least 1");
  const cardDataMaxBytes = parseWholeNumber(flags.cardDataMaxBytes, "--card-data-max-bytes");
  if (cardDataMaxBytes < 1) throw new CliUsageError("--card-data-max-bytes must be at least 1");
  const allowHosts = flags.allowHost ?? [];
  for (const name of allowHosts) {
    // A name, an IPv4 address or a bracketed IPv6 address, without port: what a Host header names.
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(name)) {
      throw new CliUsageError(`--allow-host takes a host name without port, not ${JSON.stringify(name)}`);
    }
  }
  const { createEmulator } = await import("../../emulator/index.js");
  const emulator = createEmulator({
    rateLimit,
    rateWindowMs,
    blockMs,
    sessionTtlMs,
    callbackTimeoutMs,
    callbackAttempts,
    rateLimitErrcode,
    errmsgStyle,
    redeliverCallbacks: flags.redeliverCallbacks === true,
    allowHosts,
    requestTimeoutMs,
    cardQps,
    cardDataMaxBytes,
    headersTimeoutMs: Math.min(20_000, requestTimeoutMs),
    log: (line) => io.stderr(`dingbot emulator: ${line}\n`),
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
  let url: string;
  try {
    url = await emulator.listen(port, flags.host);
  } catch (error) {
    await emulator.close();
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE") throw new CliFailure(`port ${port} in use (try --port)`);
    throw new CliFailure(`the emulator could not start: ${errorMessage(error)}`);
  }
  io.stdout(`DingTalk emulator listening on ${url}\nchat page: ${url}/\nexport DINGTALK_BASE_URL=${url}\n`);
  await untilAborted(io.signal);
  await emulator.close();
  return EXIT.OK;
}
