/**
 * Loads a user's bot module (TypeScript or JavaScript) whose default export is a Bot. Shared by
 * `dingbot serve` (which turns a {@link BotLoadError} into its usage error or failure) and `dingbot demo`,
 * so neither reaches into the other.
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Bot } from "dingbot-sdk/bot";

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * Why a bot file could not be loaded: `not-found` (no such file), `not-a-bot` (its default export is not a
 * Bot) or `load-failed` (the module threw while loading).
 */
export type BotLoadErrorCode = "not-found" | "not-a-bot" | "load-failed";

/** A bot file that could not be loaded; programs branch on {@link BotLoadError.code}. */
export class BotLoadError extends Error {
  constructor(
    readonly code: BotLoadErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "BotLoadError";
  }
}

/**
 * Imports FILE and returns its default export.
 * TypeScript goes through tsx's `tsImport`, so the built CLI needs no loader flag.
 * @param file - path as the user typed it
 * @param cwd - directory it is relative to
 * @throws BotLoadError when the file is missing, throws while loading, or its default export is not a Bot
 */
export async function loadBot(file: string, cwd: string): Promise<Bot> {
  const module = await importBotModule(file, cwd);
  const bot = module.default;
  if (!isBot(bot)) {
    throw new BotLoadError(
      "not-a-bot",
      `${file} has no default export that is a Bot`,
      "create it with `const bot = new Bot()` from dingbot/bot and end the file with `export default bot;`",
    );
  }
  return bot;
}

/**
 * Checks the Bot's shape rather than `instanceof`: the module may have loaded its own copy of dingbot
 * (tsx's tsImport and a different install both give a different class object).
 */
export function isBot(value: unknown): value is Bot {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.handleUpdate === "function" &&
    typeof candidate.configure === "function" &&
    typeof candidate.start === "function" &&
    typeof candidate.stop === "function"
  );
}

/**
 * Imports FILE and returns all its exports (`dingbot serve` also takes a default `Bots` or named Bots).
 * TypeScript goes through tsx's `tsImport`, so the built CLI needs no loader flag.
 * @param file - path as the user typed it
 * @param cwd - directory it is relative to
 * @throws BotLoadError when the file is missing or throws while loading
 */
export async function importBotModule(file: string, cwd: string): Promise<Record<string, unknown>> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new BotLoadError("not-found", `bot file not found: ${file}`);
  const url = pathToFileURL(path).href;
  try {
    if (TYPESCRIPT.test(path)) {
      const { tsImport } = await import("tsx/esm/api");
      return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new BotLoadError(
      "load-failed",
      `could not load ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
