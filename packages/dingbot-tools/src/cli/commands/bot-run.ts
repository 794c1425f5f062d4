/**
 * Shared by serve and listen: start a bot on the chosen transport, wait for Ctrl-C, stop cleanly.
 * @module
 */

import type { Bot } from "dingbot-sdk/bot";
import { CliFailure, type CliIo, EXIT, errorMessage, untilAborted } from "../io.js";
import type { CliLogger } from "./bot-logger.js";
import { chooseTransport, type TransportSettings } from "./bot-transport.js";

/**
 * Runs the bot until io.signal aborts.
 * @returns exit code 0 after a clean stop
 * @throws CliFailure when the transport cannot start (e.g. the port is taken)
 */
export async function runBotUntilAborted(
  bot: Bot,
  settings: TransportSettings,
  io: CliIo,
  logger: CliLogger,
  what: string,
): Promise<number> {
  const chosen = chooseTransport(settings, logger);
  const aborted = untilAborted(io.signal).then(() => "aborted" as const);
  try {
    // Stream mode keeps retrying an unreachable gateway inside start(): Ctrl-C must still stop it.
    if ((await Promise.race([bot.start(chosen.transport), aborted])) === "aborted") {
      await bot.stop();
      logger.flush();
      io.stderr("dingbot: stopped\n");
      return EXIT.OK;
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE") throw new CliFailure(`port ${settings.port} is already in use (try --port)`);
    throw new CliFailure(`could not start: ${errorMessage(error)}`);
  }
  io.stderr(`dingbot: ${what} at ${chosen.describe()} (Ctrl-C to stop)\n`);
  const fatal = await new Promise<unknown>((resolve) => {
    void aborted.then(() => resolve(undefined));
    // A transport that gives up on its own (Stream mode: the secret was revoked) ends the command.
    chosen.finished?.catch((error: unknown) => resolve(error ?? new Error("the transport stopped")));
  });
  await bot.stop();
  logger.flush();
  if (fatal) throw new CliFailure(`stopped: ${errorMessage(fatal)}`);
  io.stderr("dingbot: stopped\n");
  return EXIT.OK;
}
