import type { Command } from "commander";
import { CliUsageError } from "../io.js";
import type { RegisterCommand } from "./register.js";
import type { RelayCheckFlags, RelayDlqFlags, RelayFlags } from "./relay-flags.js";

/**
 * The config file of `relay` and `relay check`, given as a positional or as --config (both ways work for
 * both; commander may hand a --config written after the subcommand to the parent). Two different files
 * is a usage error rather than a silent pick.
 */
function configFile(positional: string | undefined, option: string | undefined, relay: Command): string {
  const fromParent =
    relay.getOptionValueSource("config") === "default" ? undefined : relay.opts<RelayFlags>().config;
  const named = option ?? fromParent;
  if (positional !== undefined && named !== undefined && positional !== named) {
    throw new CliUsageError(
      `two config files: ${positional} and --config ${named}`,
      "give the file once, as an argument or with --config",
    );
  }
  return positional ?? named ?? "relay.yaml";
}

/** `dingbot relay`: the durable alert relay, its config check and its dead-letter list. */
export const registerRelay: RegisterCommand = (program, io, setExit) => {
  const relay = program
    .command("relay")
    .description("relay Alertmanager, Grafana, GitHub and JSON webhooks into DingTalk groups, durably")
    .argument("[file]", "relay config (YAML), as --config")
    .option("-c, --config <file>", "relay config (YAML)", "relay.yaml")
    .option("--port <port>", "override listen.port")
    .action(async (file: string | undefined, flags: RelayFlags) => {
      const { runRelay } = await import("./relay-action.js");
      setExit(await runRelay({ ...flags, config: configFile(file, undefined, relay) }, io));
    });
  relay
    .command("check")
    .description("validate a relay config and its templates; --send-test posts a test message to each robot")
    .argument("[file]", "relay config (YAML), as --config")
    .option("-c, --config <file>", 'relay config (YAML) (default: "relay.yaml")')
    .option("--send-test", "send a test message to every robot")
    .action(async (file: string | undefined, flags: RelayCheckFlags) => {
      const { runRelayCheck } = await import("./relay-check-action.js");
      setExit(await runRelayCheck(configFile(file, flags.config, relay), flags, io));
    });
  relay
    .command("dlq")
    .description("list, retry or drop dead-lettered messages")
    .argument("[action]", "list | retry | drop", "list")
    .argument("[id]", "dead letter id (retry, drop)")
    .option("-c, --config <file>", "relay config (YAML)")
    .option("--output <format>", "text or json", "text")
    .action(async (action: string, id: string | undefined, flags: Partial<RelayDlqFlags>) => {
      const { runRelayDlq } = await import("./relay-dlq-action.js");
      const config = flags.config ?? relay.opts<RelayFlags>().config;
      setExit(await runRelayDlq(action, id, { ...flags, config }, io));
    });
};
