/**
 * The flags `dingbot serve` and `dingbot listen` share. Kept free of runtime imports so the CLI starts fast;
 * serve-transport.ts turns them into a transport.
 * @module
 */
import type { Command } from "commander";

/** Flags shared by serve and listen. */
export interface TransportFlags {
  port: string;
  host: string;
  path: string;
  timeout: string;
  appKey?: string;
  appSecret?: string;
  baseUrl?: string;
  /** Receive over Stream mode instead of HTTP callbacks. */
  stream?: boolean;
}

/** Declares the transport flags on a command. */
export function addTransportFlags(command: Command): Command {
  return command
    .option("--port <port>", "port to listen on", "3000")
    .option("--host <host>", "address to bind (0.0.0.0 to accept DingTalk from outside)", "127.0.0.1")
    .option("--path <path>", "callback path DingTalk posts to", "/")
    .option("--timeout <ms>", "how long a handler may take to answer inline", "2500")
    .option("--app-key <key>", "app key (default: env DINGTALK_APP_KEY)")
    .option("--app-secret <secret>", "app secret (default: env DINGTALK_APP_SECRET; prefer the env var)")
    .option("--base-url <url>", "DingTalk stand-in, e.g. the emulator (default: env DINGTALK_BASE_URL)")
    .option("--stream", "receive over Stream mode (no public URL needed; needs the app key and secret)");
}
