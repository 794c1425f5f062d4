/**
 * Loads a user's bot modules for `dingbot serve`: the shared loader (shared/load-bot.ts), with its refusals
 * turned into the CLI's usage error (exit 2) or failure (exit 1). A file gives one bot (its default export),
 * several (a default export that is a `Bots`, or named exports that are Bots), and `serve` takes several files.
 * @module
 */
import { basename } from "node:path";
import type { Bot, BotsEntryOptions, BotsMember } from "dingbot-sdk/bot";
import { isBots } from "dingbot-sdk/bot";
import { BotLoadError, importBotModule, isBot, loadBot as loadBotModule } from "../shared/load-bot.js";
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
    throw cliError(error);
  }
}

/** One bot of several, as a file declared it. */
export interface NamedBot {
  /** Its name: the Bots entry's, the named export's, or the file's base name for a default export. */
  name: string;
  bot: BotsMember;
  /** The file it came from, as the user typed it. */
  file: string;
  /** What a `Bots` entry said (credentials, path); empty for a plain Bot, whose credentials come from env. */
  options: BotsEntryOptions;
}

/**
 * What `dingbot serve FILE…` runs: one file whose default export is a Bot keeps the single-bot behaviour
 * (`DINGTALK_APP_KEY`, `--path`); anything else is several named bots.
 */
export type LoadedBots = { kind: "single"; bot: Bot; file: string } | { kind: "several"; bots: NamedBot[] };

/**
 * Imports every FILE and collects its bots. Per file: a default export that is a `Bots` gives its entries;
 * else a default export that is a Bot gives one bot named after the file; else every named export that is
 * a Bot gives one bot named after the export.
 * @param files - paths as the user typed them
 * @param cwd - directory they are relative to
 * @throws CliUsageError for a missing file, a file without bots, or two bots with one name
 * @throws CliFailure when a module throws while loading
 */
export async function loadBots(files: readonly string[], cwd: string): Promise<LoadedBots> {
  const bots: NamedBot[] = [];
  for (const file of files) {
    let module: Record<string, unknown>;
    try {
      module = await importBotModule(file, cwd);
    } catch (error) {
      throw cliError(error);
    }
    const fromFile = botsOf(module, file);
    if (files.length === 1 && fromFile.single) return { kind: "single", bot: fromFile.single, file };
    bots.push(...fromFile.bots);
  }
  const seen = new Map<string, string>();
  for (const { name, file } of bots) {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new CliUsageError(
        `two bots are named ${name} (in ${first} and ${file}): each needs its own name, path and credentials`,
        "rename one file, or export a Bots from one file with bots.add(name, bot, …) and distinct names",
      );
    }
    seen.set(name, file);
  }
  return { kind: "several", bots };
}

/** The bots one module declares; `single` when its default export is a plain Bot. */
function botsOf(module: Record<string, unknown>, file: string): { single?: Bot; bots: NamedBot[] } {
  const fallback = module.default;
  if (isBots(fallback)) {
    const bots = fallback.entries().map(({ name, bot, ...options }) => ({ name, bot, file, options }));
    if (bots.length === 0) {
      throw new CliUsageError(`${file} exports a Bots without bots`, "add them with bots.add(name, bot, …)");
    }
    return { bots };
  }
  if (isBot(fallback))
    return { single: fallback, bots: [{ name: nameOfFile(file), bot: fallback, file, options: {} }] };
  const bots = Object.entries(module)
    .filter(([key, value]) => key !== "default" && isBot(value))
    .map(([name, bot]) => ({ name, bot: bot as Bot, file, options: {} }));
  if (bots.length === 0) {
    throw new CliUsageError(
      `${file} has no default export that is a Bot or a Bots, and no named export that is a Bot`,
      "create it with `const bot = new Bot()` from dingbot-sdk/bot and end the file with `export default bot;` (several bots: `export default new Bots().add(…)`, or `export const sales = new Bot();`)",
    );
  }
  return { bots };
}

/** `bots/sales-bot.ts` → `sales-bot`: what a default-exported bot is called among several. */
function nameOfFile(file: string): string {
  const base = basename(file).replace(/\.[cm]?[jt]sx?$/, "");
  return base.replace(/[^A-Za-z0-9_-]/g, "-").replace(/^[-_]+/, "") || "bot";
}

function cliError(error: unknown): Error {
  if (!(error instanceof BotLoadError)) return error instanceof Error ? error : new Error(String(error));
  if (error.code === "load-failed") return new CliFailure(error.message);
  return new CliUsageError(error.message, error.hint);
}
