import { AppClient, openApiReplier } from "dingbot-sdk";
import { type CliIo, CliUsageError, errorMessage } from "../io.js";
import { loadBot } from "../load-bot.js";
import type { TransportFlags } from "./bot-flags.js";
import { createCliLogger } from "./bot-logger.js";
import { runBotUntilAborted } from "./bot-run.js";
import { resolveTransportSettings } from "./bot-transport.js";

/** Loads FILE and answers DingTalk's messages with it until the io's signal aborts. */
export async function runServe(file: string, flags: TransportFlags, io: CliIo): Promise<number> {
  const settings = resolveTransportSettings(flags, io.env);
  const bot = await loadBot(file, io.cwd);
  const logger = createCliLogger(io.stdout, "info", [settings.appSecret]);
  try {
    // With the app key too, replies after the sessionWebhook expired go through the robot OpenAPI.
    const apiFallback = settings.appKey
      ? openApiReplier(
          new AppClient({
            appKey: settings.appKey,
            appSecret: settings.appSecret,
            baseUrl: settings.baseUrl,
            env: io.env,
            fetch: io.fetch,
            logger,
          }),
        )
      : undefined;
    bot.configure({
      appKey: settings.appKey,
      appSecret: settings.appSecret,
      robotCode: settings.appKey,
      baseUrl: settings.baseUrl,
      logger,
      fetch: io.fetch,
      apiFallback,
    });
  } catch (error) {
    // configure and AppClient validate the base URL (http(s) only).
    throw new CliUsageError(errorMessage(error));
  }
  return runBotUntilAborted(bot, settings, io, logger, `answering ${file}`);
}
