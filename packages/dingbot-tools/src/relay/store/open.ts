/**
 * Opens the store a config names. Redis support is imported only when configured, so a SQLite relay
 * never loads ioredis.
 * @module
 */
import type { RelayConfig } from "../config.js";
import type { RelayStore } from "./store.js";

/**
 * Opens the configured store.
 * @param config - the relay config
 * @throws StoreUnavailableError when it cannot be opened
 */
export async function openStore(config: RelayConfig): Promise<RelayStore> {
  if (config.store.kind === "redis") {
    const { RedisStore } = await import("./redis-store.js");
    return RedisStore.connect({ url: config.store.url, prefix: config.store.prefix });
  }
  const { SqliteStore } = await import("./sqlite-store.js");
  return new SqliteStore({ path: config.store.path, synchronous: config.store.synchronous });
}
