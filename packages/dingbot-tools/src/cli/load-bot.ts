/**
 * Loads a user's bot module for `dingbot serve`: the shared loader (shared/load-bot.ts), with its refusals
 * turned into the CLI's usage error (exit 2) or failure (exit 1).
 * @module
 */
import type { Bot } from "dingbot-sdk/bot";
import { BotLoadError, loadBot as loadBotModule } from "../shared/load-bot.js";
import { CliFailure, CliUsageError } from "./io.js";

/**
 * Imports FILE and returns its default export.
 * @param file - path as the user typed it
 * @param cwd - directory it is relative to
 * @throws CliUsageError when the file is missing or its default export is not a Bot
 * @throws CliFailure when the module throws while loading
 */
export async function loadBot(file: string, cwd: string): Promise<Bot> {
  try {
    return await loadBotModule(file, cwd);
  } catch (error) {
    if (!(error instanceof BotLoadError)) throw error;
    if (error.code === "load-failed") throw new CliFailure(error.message);
    throw new CliUsageError(error.message, error.hint);
  }
}
