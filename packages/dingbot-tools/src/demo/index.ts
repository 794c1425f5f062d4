/**
 * `dingbot demo` in one process: the emulator with a demo group, people and robots; the example answer bot
 * over HTTP; the example stream bot and the example AI bot (answers in a streamed AI card) over Stream
 * mode; the relay with a demo config; and a generator that
 * posts a few alerts, a GitHub event and some people's messages once. No credentials needed.
 * @module
 */
import { type Logger, silentLogger } from "dingbot-sdk";
import { createEmulator, type Emulator } from "../emulator/index.js";
import { type DemoBot, startAiBot, startAnswerBot, startFileBot, startStreamBot } from "./bots.js";
import { type GeneratorStep, runGenerator } from "./generator.js";
import { DEMO_GITHUB_SECRET, startDemoRelay } from "./relay.js";
import { createDemoWorld, type DemoWorld } from "./world.js";

/** How long one piece (a bot, the relay) may take to start before the demo goes on without it. */
export const START_TIMEOUT_MS = 15_000;

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Emulator port (default 8089; 0 picks a free one). */
  port?: number;
  /** Address everything binds to (default 127.0.0.1). */
  host?: string;
  /** Run the scripted traffic once after start (default true). */
  traffic?: boolean;
  /** Pause between scripted steps, in ms (default 400, so the page fills visibly). */
  pauseMs?: number;
  /** Where the bots and the relay log (default: nowhere). */
  logger?: Logger;
}

/** A running demo. */
export interface RunningDemo {
  /** The chat page (the emulator's base URL + `/`). */
  pageUrl: string;
  emulator: Emulator;
  world: DemoWorld;
  /** What runs, one line each, for the banner. */
  parts: string[];
  /** What is not part of this demo yet, and why. */
  missing: string[];
  /** Resolves when the scripted traffic has run (immediately when traffic is off). */
  traffic: Promise<GeneratorStep[]>;
  /** Stops the traffic, the bots, the relay and the emulator; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the whole demo. A bot or the relay that cannot start is left out and listed in `missing`.
 * @throws Error when the emulator cannot listen (e.g. `EADDRINUSE`); nothing is left running then
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? "127.0.0.1";
  const logger = options.logger ?? silentLogger;
  const emulator = createEmulator();
  const stops: Array<() => Promise<void>> = [];
  const abort = new AbortController();
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      abort.abort();
      // Newest first: the traffic and bots go before the emulator they talk to.
      for (const close of stops.reverse()) {
        try {
          await close();
        } catch (error) {
          logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            "demo: a part did not stop cleanly",
          );
        }
      }
    })();
    return stopped;
  };
  try {
    const baseUrl = await emulator.listen(options.port ?? 8089, host);
    stops.push(() => emulator.close());
    const world = createDemoWorld(emulator.store);
    const parts = [`emulator      ${baseUrl}  (export DINGTALK_BASE_URL=${baseUrl})`];
    const missing: string[] = [];
    const bots: DemoBot[] = [];
    const optional = <T extends { stop(): Promise<void> }>(
      what: string,
      start: () => Promise<T | undefined>,
      absent: string,
    ): Promise<T | undefined> => startOptional(what, start, absent, missing, stops);
    const answer = await optional(
      "answer bot",
      () => startAnswerBot(emulator.store, world.answerApp, baseUrl, host, logger),
      "examples/answer-bot.ts is not in this install",
    );
    if (answer) bots.push(answer);
    const stream = await optional(
      "stream bot",
      () => startStreamBot(world.streamApp, baseUrl, logger),
      "examples/stream-bot.ts is not in this install",
    );
    if (stream) bots.push(stream);
    const fileBot = await optional(
      "file bot",
      () => startFileBot(world.fileApp, baseUrl, logger),
      "examples/file-bot.ts is not in this install",
    );
    if (fileBot) bots.push(fileBot);
    const ai = await optional(
      "AI bot",
      () => startAiBot(world.aiApp, baseUrl, logger),
      "examples/ai-bot.ts is not in this install",
    );
    if (ai) bots.push(ai);
    const relay = await optional(
      "relay",
      () => startDemoRelay(baseUrl, world, host, logger),
      "not available",
    );
    if (relay)
      parts.push(`relay         ${relay.url}  (POST /alertmanager, /github; config ${relay.configFile})`);
    for (const bot of bots) parts.push(`${bot.name.padEnd(6, "　")}    ${bot.file}, ${bot.describe}`);
    const traffic =
      options.traffic === false
        ? Promise.resolve([])
        : runGenerator(
            world,
            {
              emulatorUrl: baseUrl,
              ...(relay ? { relayUrl: relay.url } : {}),
              githubSecret: DEMO_GITHUB_SECRET,
              answerBot: answer !== undefined,
              streamBot: stream !== undefined,
              fileBot: fileBot !== undefined,
              ...(ai ? { aiBot: { feedbackTemplateId: ai.feedbackTemplateId } } : {}),
            },
            abort.signal,
            options.pauseMs ?? 400,
          );
    stops.push(async () => {
      await traffic.catch(() => []);
    });
    return { pageUrl: `${baseUrl}/`, emulator, world, parts, missing, traffic, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts one optional piece: one that is not in this install, fails or hangs is left out and listed in
 * `missing`, and the rest of the demo still runs. A piece that comes up after the timeout is stopped.
 */
export async function startOptional<T extends { stop(): Promise<void> }>(
  what: string,
  start: () => Promise<T | undefined>,
  absent: string,
  missing: string[],
  stops: Array<() => Promise<void>>,
  timeoutMs = START_TIMEOUT_MS,
): Promise<T | undefined> {
  const started = start();
  const timeout = new Promise<"timeout">((resolve) => setTimeout(resolve, timeoutMs, "timeout").unref());
  try {
    const part = await Promise.race([started, timeout]);
    if (part === "timeout") {
      void started.then((late) => late?.stop()).catch(() => {});
      missing.push(`${what}: did not start within ${timeoutMs / 1000} s`);
      return undefined;
    }
    if (!part) missing.push(`${what}: ${absent}`);
    else stops.push(() => part.stop());
    return part;
  } catch (error) {
    missing.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
