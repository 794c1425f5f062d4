/**
 * The app flags shared by `dingbot notify`, `robot send`, `token` and `api`, declared at registration
 * (commander only; nothing heavy is imported here).
 * @module
 */
import { type Command, Option } from "commander";

/** Flags every app command has. */
export interface AppFlags {
  appKey?: string;
  appSecret?: string;
  agentId?: string;
  baseUrl?: string;
  /** `--no-cache` sets false. */
  cache: boolean;
  verbose?: boolean;
  output: "text" | "json";
}

/** Declares the app flags on a command. */
export function addAppFlags(command: Command, options: { agent: boolean }): Command {
  command
    .option("--app-key <key>", "the app's AppKey / Client ID (env DINGTALK_APP_KEY)")
    .option(
      "--app-secret <secret>",
      "the app's AppSecret (env DINGTALK_APP_SECRET; prefer the env, flags show in ps)",
    );
  if (options.agent) command.option("--agent-id <id>", "the app's AgentId (env DINGTALK_AGENT_ID)");
  return command
    .option(
      "--base-url <url>",
      "one URL standing for DingTalk's hosts, e.g. the emulator (env DINGTALK_BASE_URL)",
    )
    .option("--no-cache", "do not reuse or store the access token between runs (~/.cache/dingbot)")
    .option("--verbose", "log each request to stderr (tokens and secrets masked)")
    .addOption(new Option("--output <format>", "result format").choices(["text", "json"]).default("text"));
}
