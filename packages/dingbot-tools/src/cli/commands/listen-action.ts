import { redactUrl } from "dingbot-sdk";
import { Bot } from "dingbot-sdk/bot";
import type { CliIo } from "../io.js";
import type { TransportFlags } from "./bot-flags.js";
import { createCliLogger } from "./bot-logger.js";
import { runBotUntilAborted } from "./bot-run.js";
import { resolveTransportSettings } from "./bot-transport.js";

/** Prints each received message as one JSON line on stdout until the io's signal aborts. */
export async function runListen(flags: TransportFlags, io: CliIo): Promise<number> {
  const settings = resolveTransportSettings(flags, io.env);
  // stdout carries the messages only; rejections and errors go to stderr as JSON lines.
  const logger = createCliLogger(io.stderr, "warn", [settings.appSecret]);
  const bot = new Bot({ logger });
  bot.use((ctx) => {
    const message: Record<string, unknown> = { ...ctx.message };
    // The session query is a credential (anyone holding it can post into the chat).
    if (typeof message.sessionWebhook === "string")
      message.sessionWebhook = redactUrl(message.sessionWebhook);
    io.stdout(`${JSON.stringify(message)}\n`);
  });
  return runBotUntilAborted(bot, settings, io, logger, "listening");
}
