import { CliFailure, type CliIo, CliUsageError, EXIT } from "../io.js";
import { loadConfigForCli } from "./relay-action.js";
import type { RelayDlqFlags } from "./relay-flags.js";

/** `dingbot relay dlq [list|retry ID|drop ID]`: works on the store the config names. */
export async function runRelayDlq(
  action: string,
  id: string | undefined,
  flags: RelayDlqFlags,
  io: CliIo,
): Promise<number> {
  if (!["list", "retry", "drop"].includes(action)) {
    throw new CliUsageError(`unknown dlq action ${JSON.stringify(action)}`, "use list, retry ID or drop ID");
  }
  if (action !== "list" && !id)
    throw new CliUsageError(`dlq ${action} needs an ID`, "see `dingbot relay dlq list`");
  // The store is all dlq touches: it must work without the robots' secrets in the environment.
  const config = await loadConfigForCli(flags.config, io, undefined, "optional");
  const { openStore } = await import("../../relay/index.js");
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(config);
  } catch (error) {
    throw new CliFailure(error instanceof Error ? error.message : String(error));
  }
  try {
    if (action === "list") {
      const dead = await store.listDead();
      if (flags.output === "json") {
        io.stdout(`${JSON.stringify(dead.map(({ context: _context, alerts: _alerts, ...rest }) => rest))}\n`);
        return EXIT.OK;
      }
      if (dead.length === 0) io.stdout("no dead letters\n");
      for (const entry of dead) {
        io.stdout(
          `${entry.id}\t${new Date(entry.deadAt).toISOString()}\trobot=${entry.robot}\talerts=${entry.lines.length}\t${[...new Set(entry.lines.map((l) => l.name))].slice(0, 5).join(", ")}\n\treason: ${entry.reason}\n`,
        );
      }
      return EXIT.OK;
    }
    const done =
      action === "retry"
        ? await store.retryDead(id as string, Date.now())
        : await store.dropDead(id as string);
    if (!done) throw new CliFailure(`no dead letter ${id}`);
    io.stdout(action === "retry" ? `${id} is queued again\n` : `${id} dropped\n`);
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
