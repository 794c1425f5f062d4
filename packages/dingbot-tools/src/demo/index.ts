/**
 * `dingbot demo` in one process: the emulator with a demo group, people and robots; the example answer bot
 * over HTTP; the example stream bot over Stream mode; the relay with a demo config; and a generator that
 * posts a few alerts, a GitHub event and some people's messages once. No credentials needed.
 * @module
 */
import { type Logger, silentLogger } from "dingbot";
import { createEmulator, type Emulator } from "../emulator/index.js";
import { type DemoBot, startAnswerBot, startStreamBot } from "./bots.js";
import { type GeneratorStep, runGenerator } from "./generator.js";
import { DEMO_GITHUB_SECRET, startDemoRelay } from "./relay.js";
import { createDemoWorld, type DemoWorld } from "./world.js";

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
 * Starts the whole demo. If a piece fails to start, what already runs is stopped before the error is thrown.
 * @throws Error when the emulator's port is taken, or a piece cannot start
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
    const answer = await startAnswerBot(emulator.store, world.answerApp, baseUrl, host, logger);
    if (answer) bots.push(answer);
    else missing.push("answer bot: examples/answer-bot.ts is not in this install");
    if (answer) stops.push(() => answer.stop());
    const stream = await startStreamBot(world.streamApp, baseUrl, logger);
    if (stream) bots.push(stream);
    else missing.push("stream bot: examples/stream-bot.ts is not in this install");
    if (stream) stops.push(() => stream.stop());
    const relay = await startDemoRelay(baseUrl, world, host, logger);
    stops.push(() => relay.stop());
    parts.push(`relay         ${relay.url}  (POST /alertmanager, /github; config ${relay.configFile})`);
    for (const bot of bots) parts.push(`${bot.name.padEnd(6, "　")}    ${bot.file}, ${bot.describe}`);
    const traffic =
      options.traffic === false
        ? Promise.resolve([])
        : runGenerator(
            world,
            {
              emulatorUrl: baseUrl,
              relayUrl: relay.url,
              githubSecret: DEMO_GITHUB_SECRET,
              answerBot: answer !== undefined,
              streamBot: stream !== undefined,
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
