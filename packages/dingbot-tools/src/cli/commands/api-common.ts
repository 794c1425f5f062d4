/**
 * What `dingbot notify`, `robot send`, `token` and `api` share: the app credential flags, building the
 * AppClient (with a token cache that survives between runs), redacted output, and turning the client's
 * errors into messages that say what was wrong and how to fix it, with exit codes 1 or 2.
 * Loaded only inside the actions, so CLI start-up does not pay for it.
 * @module
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  ApiError,
  AppClient,
  AuthError,
  type CachedToken,
  HttpError,
  RequestError,
  redactText,
  type TokenStore,
  ValidationError,
} from "dingbot-sdk/client";
import { CliFailure, type CliIo, CliUsageError, EXIT } from "../io.js";
import { verboseLogger } from "../verbose-logger.js";
import type { AppFlags } from "./app-flags.js";

/** The credentials a command resolved from flags and environment. */
export interface AppCredentials {
  appKey: string;
  appSecret: string;
  agentId?: string;
}

/** Output helpers that mask the app secret and every token the run saw. */
export interface Printer {
  out(text: string): void;
  err(text: string): void;
  /** Adds a value to mask from now on. */
  mask(secret: string | undefined): void;
  json: boolean;
}

/** Builds the {@link Printer} of a run. */
export function printer(
  io: CliIo,
  output: string | undefined,
  secrets: (string | undefined)[] = [],
): Printer {
  const masked = [...secrets];
  const clean = (text: string): string => redactText(text, masked);
  return {
    out: (text) => io.stdout(clean(text)),
    err: (text) => io.stderr(clean(text)),
    mask: (secret) => {
      masked.push(secret);
    },
    json: output === "json",
  };
}

/**
 * Reads the app credentials from flags, else DINGTALK_APP_KEY / DINGTALK_APP_SECRET / DINGTALK_AGENT_ID.
 * @throws CliUsageError naming the missing flag and variable
 */
export function credentials(flags: AppFlags, io: CliIo, needAgent: boolean): AppCredentials {
  const appKey = flags.appKey ?? io.env.DINGTALK_APP_KEY;
  const appSecret = flags.appSecret ?? io.env.DINGTALK_APP_SECRET;
  const agentId = flags.agentId ?? io.env.DINGTALK_AGENT_ID;
  const where = "the app's page in the DingTalk developer console (凭证与基础信息)";
  if (!appKey)
    throw new CliUsageError(
      "no app key: pass --app-key or set DINGTALK_APP_KEY",
      `copy the AppKey (Client ID) from ${where}`,
    );
  if (!appSecret) {
    throw new CliUsageError(
      "no app secret: set DINGTALK_APP_SECRET (or pass --app-secret)",
      `copy the AppSecret from ${where}`,
    );
  }
  if (needAgent && !agentId) {
    throw new CliUsageError(
      "no agent id: pass --agent-id or set DINGTALK_AGENT_ID",
      `copy the AgentId from ${where}`,
    );
  }
  if (agentId !== undefined && !/^\d+$/.test(agentId)) {
    throw new CliUsageError(
      `the agent id must be a number, got ${JSON.stringify(agentId)}`,
      "the AgentId is all digits, e.g. 123456789",
    );
  }
  return { appKey, appSecret, ...(agentId ? { agentId } : {}) };
}

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

/** Builds the client of a run. */
export function appClient(
  flags: AppFlags,
  io: CliIo,
  creds: AppCredentials,
  print: Printer,
  robotCode?: string,
): AppClient {
  print.mask(creds.appSecret);
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

/**
 * Prints an error the way these commands do and returns the exit code; rethrows what it does not know.
 * @param error - what the run threw
 */
export function reportAppError(error: unknown, print: Printer): number {
  const fail = (code: number, message: string, hint?: string, extra: object = {}): number => {
    if (print.json)
      print.out(`${JSON.stringify({ ok: false, error: message, ...(hint ? { hint } : {}), ...extra })}\n`);
    print.err(`error: ${message}\n${hint ? `hint: ${hint}\n` : ""}`);
    return code;
  };
  if (error instanceof CliUsageError) return fail(EXIT.USAGE, error.message, error.hint);
  if (error instanceof CliFailure) return fail(error.exitCode, error.message);
  if (error instanceof ValidationError) return fail(EXIT.USAGE, `${error.message} (nothing was sent)`);
  if (error instanceof AuthError) {
    const hint = error.hint ?? "check DINGTALK_APP_KEY / DINGTALK_APP_SECRET, and the app's permissions";
    return fail(
      EXIT.FAILURE,
      `DingTalk refused the credentials: ${error.errcode ?? error.apiCode} ${error.errmsg}`,
      hint,
      codes(error),
    );
  }
  if (error instanceof ApiError) {
    return fail(
      EXIT.FAILURE,
      `DingTalk refused ${error.endpoint}: ${error.errcode ?? error.apiCode} ${error.errmsg}`,
      error.hint,
      codes(error),
    );
  }
  if (error instanceof HttpError || error instanceof RequestError) {
    return fail(
      EXIT.FAILURE,
      error.message,
      "check the network, and --base-url / DINGTALK_BASE_URL if you use the emulator",
    );
  }
  if (error instanceof TypeError && /baseUrl|agentId/.test(error.message))
    return fail(EXIT.USAGE, error.message);
  throw error;
}

function codes(error: ApiError): object {
  return {
    ...(error.errcode !== undefined ? { errcode: error.errcode } : {}),
    ...(error.apiCode !== undefined ? { code: error.apiCode } : {}),
    errmsg: error.errmsg,
  };
}
