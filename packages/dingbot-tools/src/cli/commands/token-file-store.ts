/**
 * The token store of the app commands: a file that lets consecutive runs share one access token.
 * @module
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CachedToken, TokenStore } from "dingbot-sdk/client";
import type { CliIo } from "../io.js";

/**
 * A token store in a file (mode 0600) under `DINGBOT_CACHE_DIR`, `XDG_CACHE_HOME/dingbot` or
 * `~/.cache/dingbot`, so consecutive commands reuse one token instead of calling gettoken each time
 * (DingTalk throttles frequent token requests). Keys are hashes; nothing breaks if the file is unreadable.
 * The client's keys hold a hash of the app secret, so a run with a wrong secret misses the cache and fails as
 * it would with `--no-cache`, and a shared cache directory does not hand a token to someone who only knows
 * the app key.
 * @param io - the run's environment (where the cache lives)
 */
export function fileTokenStore(io: CliIo): TokenStore {
  const dir =
    io.env.DINGBOT_CACHE_DIR ??
    join(io.env.XDG_CACHE_HOME ?? join(io.env.HOME ?? homedir(), ".cache"), "dingbot");
  const file = join(dir, "tokens.json");
  // Keys are hashed again so the file names neither the app key nor the base URL.
  const hash = (key: string): string => createHash("sha256").update(key).digest("hex");
  const load = (): Record<string, CachedToken> => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Record<string, CachedToken>;
    } catch {
      return {};
    }
  };
  const save = (all: Record<string, CachedToken>): void => {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(all), { mode: 0o600 });
      chmodSync(temp, 0o600);
      renameSync(temp, file);
    } catch {
      // A read-only home only costs a token request next time.
    }
  };
  return {
    get: (key) => load()[hash(key)],
    set: (key, token) => save({ ...load(), [hash(key)]: token }),
    delete: (key) => {
      const all = load();
      delete all[hash(key)];
      save(all);
    },
  };
}
