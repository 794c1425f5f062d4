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
import { importBotModule, isBot, loadBot } from "../shared/load-bot.js";

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

/** Configures a loaded example bot for the app and starts it over Stream mode against the emulator's gateway. */
async function startOverStream(
  bot: Bot,
  name: string,
  describe: string,
  app: AppRecord,
  baseUrl: string,
  logger: Logger,
): Promise<DemoBot> {
  configure(bot, app, baseUrl, logger);
  await bot.start(streamTransport({ clientId: app.appKey, clientSecret: app.appSecret, baseUrl, logger }));
  return { name: app.name, file: `examples/${name}`, describe, stop: () => bot.stop() };
}

/** Loads one example and starts it over Stream mode; undefined when the example is not in this install. */
async function startStreamExample(
  name: string,
  describe: string,
  app: AppRecord,
  baseUrl: string,
  logger: Logger,
): Promise<DemoBot | undefined> {
  const file = exampleFile(name);
  if (!file) return undefined;
  return startOverStream(await loadBot(file, EXAMPLES_DIR), name, describe, app, baseUrl, logger);
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
  return startStreamExample("stream-bot.ts", "Stream mode (WebSocket)", app, baseUrl, logger);
}

/** The feedback card template examples/ai-bot.ts exports, as `POST /_emulator/card-templates` takes it. */
interface CardTemplateInput {
  templateId: string;
}

/**
 * Starts examples/ai-bot.ts over Stream mode against the emulator's gateway, after registering its feedback
 * card's template (the 👍/👎 buttons) through the emulator's control API, as a user of `dingbot emulator`
 * would with curl.
 * @returns undefined when the example is not in this install
 */
export async function startAiBot(
  app: AppRecord,
  baseUrl: string,
  logger: Logger,
): Promise<(DemoBot & { feedbackTemplateId: string | undefined }) | undefined> {
  const file = exampleFile("ai-bot.ts");
  if (!file) return undefined;
  // One import for the bot and the template (each import of a TypeScript file is a fresh module).
  const module = await importBotModule(file, EXAMPLES_DIR);
  const bot = module.default;
  if (!isBot(bot)) throw new Error("examples/ai-bot.ts has no default export that is a Bot");
  const template = module.FEEDBACK_CARD_TEMPLATE as CardTemplateInput | undefined;
  if (template) {
    const response = await fetch(`${baseUrl}/_emulator/card-templates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(template),
    });
    // 409: registered already (a demo restarted against the same emulator); anything else is a bug.
    if (!response.ok && response.status !== 409) {
      throw new Error(
        `registering the feedback card template: HTTP ${response.status} ${await response.text()}`,
      );
    }
  }
  const started = await startOverStream(
    bot,
    "ai-bot.ts",
    "Stream mode, answers in a streamed AI card",
    app,
    baseUrl,
    logger,
  );
  return { ...started, feedbackTemplateId: template?.templateId };
}

/**
 * Starts examples/file-bot.ts over Stream mode against the emulator's gateway: it reads the pictures, files
 * and voice notes people send it, and answers "图表" with a picture.
 * @returns undefined when the example is not in this install
 */
export async function startFileBot(
  app: AppRecord,
  baseUrl: string,
  logger: Logger,
): Promise<DemoBot | undefined> {
  return startStreamExample(
    "file-bot.ts",
    "Stream mode, reads pictures, files and voice notes",
    app,
    baseUrl,
    logger,
  );
}
