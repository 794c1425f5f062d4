/**
 * How `dingbot serve` and `dingbot listen` receive messages: the transport choice lives in this one
 * small function, so adding a transport (Stream mode, `--stream`) is one branch here and one flag in
 * bot-flags.ts.
 * @module
 */

import type { Logger } from "dingbot-sdk";
import { httpServerTransport, streamTransport, type Transport } from "dingbot-sdk/bot";
import { CliUsageError } from "../io.js";
import { parseDuration, parsePort } from "../parse-flags.js";
import { DEFAULT_ANSWER_TIMEOUT, type TransportFlags } from "./bot-flags.js";

/** Credentials and settings resolved from flags and env. */
export interface TransportSettings {
  port: number;
  host: string;
  path: string;
  /** The inline-answer window (listen: the default; it answers nothing). */
  timeoutMs: number;
  /** Time to receive a whole HTTP request. */
  requestTimeoutMs: number;
  appKey: string | undefined;
  appSecret: string;
  baseUrl: string | undefined;
  /** Stream mode instead of HTTP callbacks. */
  stream: boolean;
  /** HTTP mode: where signed card callbacks arrive, and the secret that signs them (none: not served). */
  cardPath?: string;
  cardApiSecret?: string | undefined;
}

/** A started-or-startable transport and a human description of where it listens. */
export interface ChosenTransport {
  transport: Transport;
  /** e.g. `http://127.0.0.1:3000/` once started. */
  describe(): string;
  /** Rejects if the transport stops on its own after starting (Stream mode: credentials refused later). */
  finished?: Promise<void>;
}

/**
 * Resolves flags and env into settings.
 * @throws CliUsageError for a missing secret or a bad number
 */
export function resolveTransportSettings(
  flags: TransportFlags,
  env: Record<string, string | undefined>,
): TransportSettings {
  const appSecret = flags.appSecret ?? env.DINGTALK_APP_SECRET;
  if (flags.stream && !(flags.appKey ?? env.DINGTALK_APP_KEY)) {
    throw new CliUsageError(
      "no app key: Stream mode opens its connection with the app's AppKey (clientId)",
      "export DINGTALK_APP_KEY=… (the robot app's AppKey) or pass --app-key",
    );
  }
  if (!appSecret) {
    throw new CliUsageError(
      "no app secret: DingTalk signs every callback with it",
      "export DINGTALK_APP_SECRET=… (the robot app's AppSecret) or pass --app-secret",
    );
  }
  return {
    ...resolveServerSettings(flags, env),
    appKey: flags.appKey ?? env.DINGTALK_APP_KEY,
    appSecret,
  };
}

/** Where and how several bots are served: every setting but the credentials, which are each bot's own. */
export type ServerSettings = Omit<TransportSettings, "appKey" | "appSecret">;

/**
 * Resolves the flags and env that do not name an app (port, host, path, timeouts, base URL, Stream mode).
 * @throws CliUsageError for a bad port or duration
 */
export function resolveServerSettings(
  flags: TransportFlags,
  env: Record<string, string | undefined>,
): ServerSettings {
  return {
    port: parsePort(flags.port),
    host: flags.host,
    path: flags.path.startsWith("/") ? flags.path : `/${flags.path}`,
    timeoutMs: parseDuration(flags.timeout ?? DEFAULT_ANSWER_TIMEOUT, "--timeout"),
    requestTimeoutMs: parseDuration(flags.requestTimeout, "--request-timeout"),
    baseUrl: flags.baseUrl ?? env.DINGTALK_BASE_URL,
    stream: flags.stream === true,
    ...(flags.cardPath === undefined ? {} : { cardPath: flags.cardPath }),
    cardApiSecret: flags.cardApiSecret ?? env.DINGTALK_CARD_API_SECRET,
  };
}

/** One bot's credentials among several. */
export interface BotCredentials {
  appKey: string | undefined;
  appSecret: string;
  robotCode: string | undefined;
}

/**
 * The env variables of bot NAME's credentials: `DINGTALK_<NAME>_APP_KEY` and `DINGTALK_<NAME>_APP_SECRET`,
 * NAME upper-cased with every other character than a letter or digit made `_` (`sales-bot` → `SALES_BOT`).
 */
export function credentialVariables(name: string): { key: string; secret: string } {
  const stem = `DINGTALK_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  return { key: `${stem}_APP_KEY`, secret: `${stem}_APP_SECRET` };
}

/**
 * Each bot's credentials: what its `Bots` entry says, else its own env variables ({@link credentialVariables}).
 * `DINGTALK_APP_KEY`/`DINGTALK_APP_SECRET` name one app, so they are not used for several.
 * @param bots - each bot's name and what its file declared
 * @param flags - `--app-key`/`--app-secret` are refused: they would give every bot one app's credentials
 * @param env - the variables
 * @throws CliUsageError naming the bot and the variable to set
 */
export function resolveBotCredentials(
  bots: readonly {
    name: string;
    options: { appKey?: string | undefined; appSecret?: string | undefined; robotCode?: string | undefined };
  }[],
  flags: TransportFlags,
  env: Record<string, string | undefined>,
): Map<string, BotCredentials> {
  if (flags.appKey !== undefined || flags.appSecret !== undefined) {
    throw new CliUsageError(
      "--app-key and --app-secret name one app, and there are several bots",
      `give each bot its own: ${bots.map((b) => credentialVariables(b.name).secret).join(", ")} (and …_APP_KEY)`,
    );
  }
  // Two names that read one variable are a naming problem, whatever the environment holds: say that first.
  const byVariable = new Map<string, string>();
  for (const { name } of bots) {
    const { secret } = credentialVariables(name);
    const other = byVariable.get(secret);
    if (other !== undefined) {
      throw new CliUsageError(
        `bots ${other} and ${name} would both read ${secret}`,
        "rename one of them so that their names differ in letters or digits",
      );
    }
    byVariable.set(secret, name);
  }
  const resolved = new Map<string, BotCredentials>();
  for (const { name, options } of bots) {
    const names = credentialVariables(name);
    const appSecret = options.appSecret ?? env[names.secret];
    const appKey = options.appKey ?? env[names.key];
    if (!appSecret) {
      throw new CliUsageError(
        `no app secret for bot ${name}: DingTalk signs its callbacks with it`,
        `export ${names.secret}=… (the AppSecret of bot ${name}'s app)`,
      );
    }
    if (flags.stream && !appKey) {
      throw new CliUsageError(
        `no app key for bot ${name}: Stream mode opens its connection with the app's AppKey (clientId)`,
        `export ${names.key}=… (the AppKey of bot ${name}'s app)`,
      );
    }
    resolved.set(name, { appKey, appSecret, robotCode: options.robotCode ?? appKey });
  }
  return resolved;
}

/**
 * Picks the transport: Stream mode with `--stream`, else HTTP callbacks.
 * @param settings - resolved settings
 * @param logger - receives one line per callback
 */
export function chooseTransport(settings: TransportSettings, logger: Logger): ChosenTransport {
  if (settings.stream && settings.appKey) {
    const transport = streamTransport({
      clientId: settings.appKey,
      clientSecret: settings.appSecret,
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      logger,
    });
    return {
      transport,
      describe: () => `Stream mode (${transport.state}) as app ${settings.appKey}`,
      finished: transport.finished,
    };
  }
  const transport = httpServerTransport({
    appSecret: settings.appSecret,
    port: settings.port,
    host: settings.host,
    path: settings.path,
    timeoutMs: settings.timeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    ...(settings.cardPath === undefined ? {} : { cardPath: settings.cardPath }),
    ...(settings.cardApiSecret ? { cardApiSecret: settings.cardApiSecret } : {}),
    logger,
  });
  return { transport, describe: () => `${transport.url ?? "(not started)"}${settings.path}` };
}
