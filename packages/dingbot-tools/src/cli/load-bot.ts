/**
 * Loads a user's bot module (TypeScript or JavaScript) whose default export is a Bot.
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Bot } from "dingbot-sdk/bot";
import { CliFailure, CliUsageError } from "./io.js";

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * Imports FILE and returns its default export.
 * TypeScript goes through tsx's `tsImport`, so the built CLI needs no loader flag.
 * @param file - path as the user typed it
 * @param cwd - directory it is relative to
 * @throws CliUsageError when the file is missing or its default export is not a Bot
 * @throws CliFailure when the module throws while loading
 */
export async function loadBot(file: string, cwd: string): Promise<Bot> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new CliUsageError(`bot file not found: ${file}`);
  const url = pathToFileURL(path).href;
  let module: { default?: unknown };
  try {
    if (TYPESCRIPT.test(path)) {
      const { tsImport } = await import("tsx/esm/api");
      module = (await tsImport(url, import.meta.url)) as { default?: unknown };
    } else {
      module = (await import(url)) as { default?: unknown };
    }
  } catch (error) {
    throw new CliFailure(`could not load ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const bot = module.default;
  if (!isBot(bot)) {
    throw new CliUsageError(
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
function isBot(value: unknown): value is Bot {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.handleUpdate === "function" &&
    typeof candidate.configure === "function" &&
    typeof candidate.start === "function" &&
    typeof candidate.stop === "function"
  );
}
