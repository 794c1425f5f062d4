import { AppClient, type Logger, openApiReplier } from "dingbot-sdk";
import { type Bot, Bots, type BotsMember } from "dingbot-sdk/bot";
import { type CliIo, CliUsageError, errorMessage } from "../io.js";
import { loadBots, type NamedBot } from "../load-bot.js";
import type { TransportFlags } from "./bot-flags.js";
import { type CliLogger, createCliLogger } from "./bot-logger.js";
import { runBotsUntilAborted, runBotUntilAborted } from "./bot-run.js";
import { resolveBotCredentials, resolveServerSettings, resolveTransportSettings } from "./bot-transport.js";

/**
 * Loads FILE… and answers DingTalk's messages with their bots until the io's signal aborts. One file
 * whose default export is a Bot runs as one robot (credentials `DINGTALK_APP_KEY`/`DINGTALK_APP_SECRET`);
 * anything else runs as several, each with its own credentials, on one port or one Stream connection each.
 */
export async function runServe(files: readonly string[], flags: TransportFlags, io: CliIo): Promise<number> {
  const loaded = await loadBots(files, io.cwd);
  if (loaded.kind === "single") return runOne(loaded.bot, loaded.file, flags, io);
  return runSeveral(loaded.bots, flags, io);
}

async function runOne(bot: Bot, file: string, flags: TransportFlags, io: CliIo): Promise<number> {
  const settings = resolveTransportSettings(flags, io.env);
  const logger = createCliLogger(io.stdout, "info", [settings.appSecret]);
  configureForCli(bot, { ...settings, robotCode: settings.appKey }, logger, io);
  return runBotUntilAborted(bot, settings, io, logger, `answering ${file}`);
}

async function runSeveral(named: NamedBot[], flags: TransportFlags, io: CliIo): Promise<number> {
  const settings = resolveServerSettings(flags, io.env);
  const credentials = resolveBotCredentials(named, flags, io.env);
  const logger = createCliLogger(
    io.stdout,
    "info",
    [...credentials.values()].map((c) => c.appSecret),
  );
  const bots = new Bots();
  const base = settings.path === "/" ? "" : settings.path.replace(/\/$/, "");
  for (const { name, bot, options } of named) {
    const own = credentials.get(name);
    if (!own) continue;
    configureForCli(bot, { ...own, baseUrl: settings.baseUrl }, childLogger(logger, name), io);
    try {
      // A Bots entry keeps the path it was given; a bot named by its file or export gets `<--path>/<name>`.
      bots.add(name, bot, { ...options, ...own, path: options.path ?? `${base}/${name}` });
    } catch (error) {
      throw new CliUsageError(`${errorMessage(error)}`, "give each bot its own name and path");
    }
  }
  const files = [...new Set(named.map((n) => n.file))].join(", ");
  return runBotsUntilAborted(bots, settings, io, logger, `answering ${files}`);
}

/**
 * Gives a bot what serve knows: credentials, base URL, logger, fetch, and (with the app key) replies
 * through the robot OpenAPI once the sessionWebhook expired, as that bot's own app.
 * @throws CliUsageError for a base URL that is not http(s)
 */
function configureForCli(
  bot: BotsMember,
  app: {
    appKey: string | undefined;
    appSecret: string;
    robotCode: string | undefined;
    baseUrl: string | undefined;
  },
  logger: Logger,
  io: CliIo,
): void {
  try {
    const apiFallback = app.appKey
      ? openApiReplier(
          new AppClient({
            appKey: app.appKey,
            appSecret: app.appSecret,
            ...(app.robotCode ? { robotCode: app.robotCode } : {}),
            baseUrl: app.baseUrl,
            env: io.env,
            fetch: io.fetch,
            logger,
          }),
        )
      : undefined;
    bot.configure({
      appKey: app.appKey,
      appSecret: app.appSecret,
      robotCode: app.robotCode,
      baseUrl: app.baseUrl,
      logger,
      fetch: io.fetch,
      apiFallback,
    });
  } catch (error) {
    // configure and AppClient validate the base URL (http(s) only).
    throw new CliUsageError(errorMessage(error));
  }
}

/** The CLI's pino logger with `bot: <name>` on every line, so one log tells the robots apart. */
function childLogger(logger: CliLogger, name: string): Logger {
  const child = (logger as { child?: (bindings: object) => Logger }).child;
  return typeof child === "function" ? child.call(logger, { bot: name }) : logger;
}
