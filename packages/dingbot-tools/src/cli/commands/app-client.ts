/**
 * Builds the AppClient of `dingbot notify`, `robot send`, `token` and `api`: the resolved credentials, the
 * file token store, a short throttling retry and the `--verbose` logger.
 * @module
 */
import { AppClient, resolveBaseUrls } from "dingbot-sdk/client";
import { type CliIo, CliUsageError } from "../io.js";
import type { Printer } from "../printer.js";
import { verboseLogger } from "../verbose-logger.js";
import type { AppCredentials } from "./app-credentials.js";
import type { AppFlags } from "./app-flags.js";
import { fileTokenStore } from "./token-file-store.js";

/**
 * Builds the client of a run, and has the printer mask the app secret from now on.
 * @param robotCode - the robot of `robot send` (default: the app key)
 * @throws CliUsageError when --base-url / DINGTALK_BASE_URL is not an http(s) URL
 */
export function appClient(
  flags: AppFlags,
  io: CliIo,
  creds: AppCredentials,
  print: Printer,
  robotCode?: string,
): AppClient {
  print.mask(creds.appSecret);
  checkBaseUrl(flags.baseUrl, io.env);
  return new AppClient({
    appKey: creds.appKey,
    appSecret: creds.appSecret,
    ...(creds.agentId ? { agentId: creds.agentId } : {}),
    ...(robotCode ? { robotCode } : {}),
    ...(flags.baseUrl !== undefined ? { baseUrl: flags.baseUrl } : {}),
    env: io.env,
    fetch: io.fetch,
    ...(flags.cache === false ? {} : { tokenStore: fileTokenStore(io) }),
    // A CLI run waits a little for throttling, not minutes.
    throttleRetry: { retries: 2, baseDelayMs: 1000, maxDelayMs: 4000 },
    ...(flags.verbose ? { logger: verboseLogger(print.err) } : {}),
  });
}

/** The client's own check of the base URL, run first so that a bad one is a usage error (exit 2). */
function checkBaseUrl(baseUrl: string | undefined, env: Record<string, string | undefined>): void {
  try {
    resolveBaseUrls(baseUrl, env);
  } catch (error) {
    // resolveBaseUrls refuses its input with a TypeError, and throws nothing else.
    if (error instanceof TypeError) throw new CliUsageError(error.message);
    throw error;
  }
}
