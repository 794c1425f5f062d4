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
    port: parsePort(flags.port),
    host: flags.host,
    path: flags.path.startsWith("/") ? flags.path : `/${flags.path}`,
    timeoutMs: parseDuration(flags.timeout ?? DEFAULT_ANSWER_TIMEOUT, "--timeout"),
    requestTimeoutMs: parseDuration(flags.requestTimeout, "--request-timeout"),
    appKey: flags.appKey ?? env.DINGTALK_APP_KEY,
    appSecret,
    baseUrl: flags.baseUrl ?? env.DINGTALK_BASE_URL,
    stream: flags.stream === true,
  };
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
    logger,
  });
  return { transport, describe: () => `${transport.url ?? "(not started)"}${settings.path}` };
}
