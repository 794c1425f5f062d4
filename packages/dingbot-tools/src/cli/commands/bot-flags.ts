/**
 * The flags of `dingbot serve` and `dingbot listen`. Kept free of runtime imports so the CLI starts fast;
 * bot-transport.ts turns them into a transport. listen answers nothing, so it gets only the flags about
 * receiving; the ones about answering are serve's.
 * @module
 */
import type { Command } from "commander";

/** Flags shared by serve and listen: where and how messages are received. */
export interface TransportFlags {
  port: string;
  host: string;
  path: string;
  /** Time to receive a whole HTTP request, a duration (`10s`). */
  requestTimeout: string;
  appKey?: string;
  appSecret?: string;
  baseUrl?: string;
  /** Receive over Stream mode instead of HTTP callbacks. */
  stream?: boolean;
  /** serve only: how long a handler may take to answer inline, a duration (`2500ms`). */
  timeout?: string;
  /** serve only: the path card button callbacks are posted to (HTTP mode). */
  cardPath?: string;
  /** serve only: the `apiSecret` registered with `callbacks/register`, which signs card callbacks. */
  cardApiSecret?: string;
}

/** The inline-answer window's default, as the flag shows it. */
export const DEFAULT_ANSWER_TIMEOUT = "2500ms";
/** The HTTP request timeout's default, as the flag shows it. */
export const DEFAULT_REQUEST_TIMEOUT = "10s";

/**
 * Declares the flags of serve (`answer: true`) or listen (`answer: false`: it answers nothing, so the
 * inline-answer window is not offered).
 */
export function addTransportFlags(command: Command, options: { answer: boolean }): Command {
  command
    .option("--port <port>", "port to listen on", "3000")
    .option("--host <host>", "address to bind (0.0.0.0 to accept DingTalk from outside)", "127.0.0.1")
    .option(
      "--path <path>",
      options.answer
        ? "callback path DingTalk posts to (several bots: each answers on <path>/<name>)"
        : "callback path DingTalk posts to",
      "/",
    );
  if (options.answer) {
    command
      .option(
        "--timeout <duration>",
        "how long a handler may take to answer inline, e.g. 2500ms or 2.5s (a number alone is ms)",
        DEFAULT_ANSWER_TIMEOUT,
      )
      .option(
        "--card-api-secret <secret>",
        "HTTP mode: the apiSecret given to card callbacks/register, to take signed card button presses on --card-path (default: env DINGTALK_CARD_API_SECRET)",
      )
      .option("--card-path <path>", "HTTP mode: the path card callbacks are posted to", "/card-callback");
  }
  return command
    .option(
      "--request-timeout <duration>",
      "how long a client may take to send a whole HTTP request before it gets 408 (e.g. 10s)",
      DEFAULT_REQUEST_TIMEOUT,
    )
    .option("--app-key <key>", "app key (default: env DINGTALK_APP_KEY)")
    .option("--app-secret <secret>", "app secret (default: env DINGTALK_APP_SECRET; prefer the env var)")
    .option("--base-url <url>", "DingTalk stand-in, e.g. the emulator (default: env DINGTALK_BASE_URL)")
    .option("--stream", "receive over Stream mode (no public URL needed; needs the app key and secret)");
}
