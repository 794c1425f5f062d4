/**
 * Shared by serve and listen: start a bot on the chosen transport, wait for Ctrl-C, stop cleanly.
 * @module
 */

import type { Bot, Bots, RunningHttpServer } from "dingbot-sdk/bot";
import { CliFailure, type CliIo, EXIT, errorMessage, untilAborted } from "../io.js";
import type { CliLogger } from "./bot-logger.js";
import { chooseTransport, type ServerSettings, type TransportSettings } from "./bot-transport.js";

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

/**
 * Runs several bots (a {@link Bots}) until io.signal aborts: over HTTP on one port (a path each), or in
 * Stream mode with one connection per app. A bot whose connection cannot start, or stops later, is
 * reported on stderr and in the log, and the others keep running.
 * @returns exit code 0 after a clean stop
 * @throws CliFailure when the port is taken, no bot could start, or every bot's connection ended
 */
export async function runBotsUntilAborted(
  bots: Bots,
  settings: ServerSettings,
  io: CliIo,
  logger: CliLogger,
  what: string,
): Promise<number> {
  if (settings.stream) return runStreamBots(bots, settings, io, logger, what);
  let server: RunningHttpServer;
  try {
    server = await bots.listen(settings.port, settings.host, {
      timeoutMs: settings.timeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      logger,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE") throw new CliFailure(`port ${settings.port} is already in use (try --port)`);
    throw new CliFailure(`could not start: ${errorMessage(error)}`);
  }
  const lines = bots.entries().map((entry) => `  ${entry.name}: ${server.url}${entry.path}\n`);
  io.stderr(`dingbot: ${what}: ${bots.size} bots at ${server.url} (Ctrl-C to stop)\n${lines.join("")}`);
  await untilAborted(io.signal);
  await server.close();
  logger.flush();
  io.stderr("dingbot: stopped\n");
  return EXIT.OK;
}

/** Stream mode for several bots: each its own connection, each failure its own. */
async function runStreamBots(
  bots: Bots,
  settings: ServerSettings,
  io: CliIo,
  logger: CliLogger,
  what: string,
): Promise<number> {
  const names = bots.entries().map((entry) => entry.name);
  const reasons = new Map<string, string>();
  let allEnded: (summary: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    allEnded = resolve;
  });
  const summary = (): string => [...reasons].map(([bot, reason]) => `${bot}: ${reason}`).join("; ");
  const noteEnded = (name: string, error: unknown): void => {
    reasons.set(name, errorMessage(error));
    io.stderr(`dingbot: bot ${name} stopped: ${errorMessage(error)}\n`);
    if (reasons.size === names.length) allEnded(summary());
  };
  const aborted = untilAborted(io.signal).then(() => "aborted" as const);
  const stopAll = async (): Promise<void> => {
    await bots.stop();
    logger.flush();
  };
  let start: Awaited<ReturnType<Bots["startStream"]>>;
  try {
    // A gateway that does not answer keeps start() retrying: Ctrl-C must still stop it.
    const raced = await Promise.race([
      bots.startStream({
        ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
        logger,
        onStopped: noteEnded,
      }),
      aborted,
    ]);
    if (raced === "aborted") {
      await stopAll();
      io.stderr("dingbot: stopped\n");
      return EXIT.OK;
    }
    start = raced;
  } catch (error) {
    throw new CliFailure(`could not start: ${errorMessage(error)}`);
  }
  for (const { name, error } of start.failed) reasons.set(name, errorMessage(error));
  const lines = names.map((name) =>
    start.failed.some((f) => f.name === name)
      ? `  ${name}: could not start: ${reasons.get(name)}\n`
      : `  ${name}: Stream mode (${start.transports[name]?.state}) as app ${bots.get(name)?.appKey}\n`,
  );
  if (start.started.length === 0) {
    await stopAll();
    throw new CliFailure(`no bot could start: ${summary()}`);
  }
  io.stderr(`dingbot: ${what}: ${names.length} bots in Stream mode (Ctrl-C to stop)\n${lines.join("")}`);
  const fatal = await Promise.race([aborted.then(() => undefined), ended]);
  await stopAll();
  if (fatal !== undefined) throw new CliFailure(`stopped: every bot's connection ended (${fatal})`);
  io.stderr("dingbot: stopped\n");
  return EXIT.OK;
}
