/**
 * The demo's two bots, loaded from the repository's examples/ exactly as `dingbot serve` loads them:
 * examples/answer-bot.ts answering over the HTTP callback, examples/stream-bot.ts over Stream mode.
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Logger } from "dingbot-sdk";
import { type Bot, httpServerTransport, streamTransport } from "dingbot-sdk/bot";
import type { AppRecord, EmulatorStore } from "../emulator/index.js";
import { loadBot } from "../shared/load-bot.js";

/** The repository's examples/ folder, from src/demo or dist/demo alike. */
export const EXAMPLES_DIR = fileURLToPath(new URL("../../../../examples/", import.meta.url));

/** A bot the demo started. */
export interface DemoBot {
  name: string;
  file: string;
  /** How it is reached, for the banner. */
  describe: string;
  stop(): Promise<void>;
}

/** Whether this code runs inside the dingbot repository (not from an npm install, where ../../../../ is the user's project). */
const IN_REPOSITORY = existsSync(
  fileURLToPath(new URL("../../../../packages/dingbot-tools/package.json", import.meta.url)),
);

/** Where one example lives, or undefined when this install has no examples/ (e.g. installed from npm). */
export function exampleFile(name: string): string | undefined {
  const path = `${EXAMPLES_DIR}${name}`;
  return IN_REPOSITORY && existsSync(path) ? path : undefined;
}

function configure(bot: Bot, app: AppRecord, baseUrl: string, logger: Logger): void {
  bot.configure({ appKey: app.appKey, appSecret: app.appSecret, robotCode: app.robotCode, baseUrl, logger });
}

/**
 * Starts examples/answer-bot.ts on a free port and points the app's callback URL at it.
 * @returns undefined when the example is not in this install
 */
export async function startAnswerBot(
  store: EmulatorStore,
  app: AppRecord,
  baseUrl: string,
  host: string,
  logger: Logger,
): Promise<DemoBot | undefined> {
  const file = exampleFile("answer-bot.ts");
  if (!file) return undefined;
  const bot = await loadBot(file, EXAMPLES_DIR);
  configure(bot, app, baseUrl, logger);
  const transport = httpServerTransport({ appSecret: app.appSecret, port: 0, host, logger });
  await bot.start(transport);
  const url = transport.url!;
  // The store record is the emulator's own: it delivers callbacks wherever callbackUrl points.
  const record = store.apps.get(app.appKey);
  if (record) record.callbackUrl = url;
  return {
    name: app.name,
    file: "examples/answer-bot.ts",
    describe: `HTTP callback at ${url}`,
    stop: () => bot.stop(),
  };
}

/**
 * Starts examples/stream-bot.ts over Stream mode against the emulator's gateway.
 * @returns undefined when the example is not in this install
 */
export async function startStreamBot(
  app: AppRecord,
  baseUrl: string,
  logger: Logger,
): Promise<DemoBot | undefined> {
  const file = exampleFile("stream-bot.ts");
  if (!file) return undefined;
  const bot = await loadBot(file, EXAMPLES_DIR);
  configure(bot, app, baseUrl, logger);
  await bot.start(streamTransport({ clientId: app.appKey, clientSecret: app.appSecret, baseUrl, logger }));
  return {
    name: app.name,
    file: "examples/stream-bot.ts",
    describe: "Stream mode (WebSocket)",
    stop: () => bot.stop(),
  };
}
