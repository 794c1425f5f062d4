import { CliFailure, type CliIo, EXIT } from "../io.js";
import { parsePort } from "../parse-flags.js";
import type { RelayFlags } from "./relay-flags.js";

/**
 * Loads a config for a CLI command. Config problems become a failure listing them: exit 2 (bad usage) when
 * the relay is to run, exit 1 from `relay check` and `relay dlq`, whose job is to report problems.
 * `secrets: "optional"` is for commands that only read the store (`relay dlq`): the robots' and routes'
 * secrets need not be in the environment.
 */
export async function loadConfigForCli(
  file: string,
  io: CliIo,
  exitCode: number = EXIT.FAILURE,
  secrets: "required" | "optional" = "required",
) {
  const { loadRelayConfig, RelayConfigError } = await import("../../relay/index.js");
  const { resolve } = await import("node:path");
  try {
    return loadRelayConfig(resolve(io.cwd, file), io.env, { secrets });
  } catch (error) {
    if (error instanceof RelayConfigError) throw new CliFailure(error.message, exitCode);
    throw error;
  }
}

/** Runs the relay until the io's signal aborts. */
export async function runRelay(flags: RelayFlags, io: CliIo): Promise<number> {
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const config = await loadConfigForCli(flags.config, io, EXIT.USAGE);
  const { createRelay, TemplateError, StoreUnavailableError, RelayListenError } = await import(
    "../../relay/index.js"
  );
  let relay: Awaited<ReturnType<typeof createRelay>>;
  try {
    relay = await createRelay(config, { env: io.env, fetch: io.fetch });
  } catch (error) {
    if (error instanceof TemplateError || error instanceof StoreUnavailableError)
      throw new CliFailure(error.message);
    throw error;
  }
  let url: string;
  try {
    url = await relay.start(port);
  } catch (error) {
    // Nothing was started but the store: close it so the process exits.
    await relay.stop();
    if (error instanceof RelayListenError) throw new CliFailure(error.message);
    throw error;
  }
  io.stderr(
    `dingbot relay listening on ${url} (${config.routes.length} routes, store: ${relay.store.kind})\n`,
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await relay.stop();
  return EXIT.OK;
}
