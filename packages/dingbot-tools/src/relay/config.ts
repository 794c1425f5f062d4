/**
 * Loads relay.yaml: parses it keeping node positions, substitutes `${ENV_VAR}`, validates it, and fills
 * defaults. Every error names the key and its line, because a relay that starts with a bad config loses alerts.
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { WEBHOOK_RATE_LIMIT_PER_MINUTE, WEBHOOK_RATE_WINDOW_MS } from "dingbot-sdk/protocol";
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type RelayConfigInput,
  RelayConfigSchema,
  type RouteAuthInput,
  type RouteConfigInput,
  type SourceKind,
} from "./config-schema.js";

/** A configuration problem: the file, the key path and the line it is on. */
export class RelayConfigError extends Error {
  constructor(
    message: string,
    readonly problems: ConfigProblem[] = [],
  ) {
    super(message);
    this.name = "RelayConfigError";
  }
}

/** One problem found in the configuration. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `routes.1.robots.0`. */
  key: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

/** A robot with every default filled in. */
export interface ResolvedRobot {
  name: string;
  webhook: string;
  secret?: string;
  keywords: string[];
  rateLimit: number;
  rateWindowMs: number;
}

/** A route with every default filled in. */
export interface ResolvedRoute extends Omit<RouteConfigInput, "language" | "auth"> {
  /** Required credentials of a request, when set. */
  auth?: RouteAuthInput;
  /** Position in the config file, used as the route's id in the store and metrics. */
  index: number;
  source: SourceKind;
  language: "zh" | "en";
  /** Absolute template path, when set. */
  templateFile?: string;
  /** Absolute sample path, when set. */
  sampleFile?: string;
}

/** Relay-wide limits with defaults. */
export interface ResolvedLimits {
  maxWaitMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  maxBodyBytes: number;
}

/** The configuration the relay runs with. */
export interface RelayConfig {
  /** Absolute path of the file it came from (or `<inline>`). */
  file: string;
  listen: {
    host: string;
    port: number;
    /** Time a sender has to send a request's headers. */
    headersTimeoutMs: number;
    /** Time a sender has to send a whole request; 408 after. */
    requestTimeoutMs: number;
  };
  store:
    | { kind: "sqlite"; path: string; synchronous: "normal" | "full" }
    | { kind: "redis"; url: string; prefix: string };
  baseUrl?: string;
  log: { level: string };
  /** IANA time zone of times in messages. */
  timezone: string;
  limits: ResolvedLimits;
  robots: Map<string, ResolvedRobot>;
  routes: ResolvedRoute[];
  /**
   * Variables of secrets that were unset when the config was loaded with `secrets: "optional"`; their keys
   * hold placeholders. Such a config can list the store, not send: {@link createRelay} refuses it.
   */
  unsetSecrets?: string[];
}

/** Options of {@link loadRelayConfig} and {@link parseRelayConfig}. */
export interface LoadOptions {
  /**
   * `required` (default): an unset `${VAR}` anywhere is an error. `optional`: unset variables in robots'
   * webhooks and secrets and in routes' secrets and auth are tolerated (the key gets a placeholder), for
   * commands that only read the store, such as `relay dlq list`.
   */
  secrets?: "required" | "optional";
}

/**
 * Reads and validates a relay config file.
 * @param file - path of relay.yaml
 * @param env - environment for `${VAR}` substitution (default process.env)
 * @throws RelayConfigError naming the key and line of every problem
 * @example
 * const config = loadRelayConfig("relay.yaml");
 */
export function loadRelayConfig(
  file: string,
  env: Record<string, string | undefined> = process.env,
  options: LoadOptions = {},
): RelayConfig {
  let text: string;
  const absolute = resolve(file);
  try {
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    throw new RelayConfigError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return parseRelayConfig(text, absolute, env, options);
}

/**
 * Parses and validates relay config text.
 * @param text - YAML (JSON is YAML too)
 * @param file - absolute path used in messages and to resolve template paths
 * @param env - environment for `${VAR}` substitution
 * @param options - whether secrets must be set
 * @throws RelayConfigError naming the key and line of every problem
 */
export function parseRelayConfig(
  text: string,
  file: string,
  env: Record<string, string | undefined> = process.env,
  options: LoadOptions = {},
): RelayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => ({
      key: "(yaml)",
      line: lineCounter.linePos(error.pos[0]).line,
      message: error.message.split("\n")[0] ?? error.message,
    }));
    throw configError(file, problems);
  }
  const locate = (path: readonly PropertyKey[]): number | undefined => lineOf(doc, lineCounter, path);
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const problems: ConfigProblem[] = [];
  const unsetSecrets = new Set<string>();
  const placeholders: { path: PropertyKey[]; value: string }[] = [];
  const substituted = substituteEnv(raw, [], env, (path, message, name) => {
    const placeholder = options.secrets === "optional" ? secretPlaceholder(path) : undefined;
    if (placeholder === undefined) {
      problems.push({ key: keyOf(path), line: locate(path), message });
      return;
    }
    unsetSecrets.add(name);
    placeholders.push({ path, value: placeholder });
  });
  if (problems.length > 0) throw configError(file, problems);
  // The whole value is replaced, not just the variable: `webhook: ${OPS_WEBHOOK}` must still be a URL.
  for (const { path, value } of placeholders) setAt(substituted, path, value);
  const parsed = RelayConfigSchema.safeParse(substituted);
  if (!parsed.success) {
    throw configError(
      file,
      parsed.error.issues.map((issue) => ({
        key: keyOf(issue.path),
        line: locate(issue.path),
        message: issue.message,
      })),
    );
  }
  const config = resolveConfig(parsed.data, file);
  if (unsetSecrets.size > 0) config.unsetSecrets = [...unsetSecrets].sort();
  return config;
}

/**
 * The placeholder of a secret-bearing key whose variable is unset (optional mode), or undefined for a key
 * that must be set whatever the mode (the store, the listen address, …).
 */
function secretPlaceholder(path: readonly PropertyKey[]): string | undefined {
  const [section, , key, sub] = path.map(String);
  if (section === "robots" && key === "webhook" && path.length === 3) {
    return "https://unset.invalid/robot/send?access_token=unset";
  }
  if (section === "robots" && key === "secret" && path.length === 3) return "unset";
  if (section === "routes" && key === "secret" && path.length === 3) return "unset";
  if (section === "routes" && key === "auth" && (sub === "bearer" || sub === "secret") && path.length === 4) {
    return "unset";
  }
  return undefined;
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  let node = root as Record<PropertyKey, unknown>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<PropertyKey, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/** Whether a listen host is a loopback address, reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(?:\.\d{1,3}){3}$/.test(bare);
}

/**
 * Warnings about routes anyone who can reach the relay could post to: on a non-loopback address, a route
 * with neither `auth` nor (GitHub) a signing `secret`.
 * @param config - the relay config
 * @param host - the address the relay listens on (default `listen.host`)
 */
export function authWarnings(config: RelayConfig, host: string = config.listen.host): string[] {
  if (isLoopbackHost(host)) return [];
  const warned = new Set<string>();
  const warnings: string[] = [];
  for (const route of config.routes) {
    if (route.auth || (route.source === "github" && route.secret) || warned.has(route.path)) continue;
    warned.add(route.path);
    warnings.push(
      `route ${route.path} has no auth and the relay listens on ${host}: anyone who can reach it can post into the group (add auth: { bearer: "\${TOKEN}" } or listen on 127.0.0.1)`,
    );
  }
  return warnings;
}

function configError(file: string, problems: ConfigProblem[]): RelayConfigError {
  const lines = problems.map(
    (p) => `  ${file}${p.line ? `:${p.line}` : ""}: ${p.key === "(root)" ? "" : `${p.key}: `}${p.message}`,
  );
  return new RelayConfigError(`invalid relay config:\n${lines.join("\n")}`, problems);
}

function keyOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}

/** Line of the deepest key of `path` that exists (a missing key is reported at its parent's key). */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let line = rangeLine(node, counter);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      line = rangeLine(pair.key, counter) ?? line;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) break;
      line = rangeLine(item, counter) ?? line;
      node = item;
    } else break;
  }
  return line;
}

function rangeLine(node: unknown, counter: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}

const ENV_PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${VAR}` in every string (`$$` is a literal `$`); reports unset variables by key path. */
export function substituteEnv(
  value: unknown,
  path: PropertyKey[],
  env: Record<string, string | undefined>,
  report: (path: PropertyKey[], message: string, name: string) => void,
): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_PATTERN, (match, name: string | undefined) => {
      if (!name) return "$";
      const found = env[name];
      if (found === undefined || found === "") {
        report(path, `environment variable ${name} is not set`, name);
        return match;
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], env, report));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, [...path, key], env, report)]),
    );
  }
  return value;
}

function resolveConfig(input: RelayConfigInput, file: string): RelayConfig {
  const dir = dirname(file);
  const rateLimit = input.limits?.rateLimit ?? WEBHOOK_RATE_LIMIT_PER_MINUTE;
  const rateWindowMs = input.limits?.rateWindowMs ?? WEBHOOK_RATE_WINDOW_MS;
  const robots = new Map<string, ResolvedRobot>();
  for (const [name, robot] of Object.entries(input.robots)) {
    robots.set(name, {
      name,
      webhook: robot.webhook,
      keywords: robot.keywords ?? [],
      rateLimit: robot.rateLimit ?? rateLimit,
      rateWindowMs: robot.rateWindowMs ?? rateWindowMs,
      ...(robot.secret ? { secret: robot.secret } : {}),
    });
  }
  const store: RelayConfig["store"] =
    input.store && "redis" in input.store
      ? { kind: "redis", url: input.store.redis, prefix: input.store.prefix ?? "dingbot-relay" }
      : {
          kind: "sqlite",
          path: resolve(dir, input.store?.sqlite ?? "relay.db"),
          synchronous: input.store?.synchronous ?? "normal",
        };
  return {
    file,
    listen: {
      host: input.listen?.host ?? "127.0.0.1",
      port: input.listen?.port ?? 9000,
      headersTimeoutMs: input.listen?.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: input.listen?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
    store,
    ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}),
    log: { level: input.log?.level ?? "info" },
    timezone: input.timezone ?? "Asia/Shanghai",
    limits: {
      maxWaitMs: input.limits?.maxWaitMs ?? rateWindowMs,
      maxAttempts: input.limits?.maxAttempts ?? 8,
      retryBaseMs: input.limits?.retryBaseMs ?? 1000,
      retryMaxMs: input.limits?.retryMaxMs ?? 60_000,
      requestTimeoutMs: input.limits?.requestTimeoutMs ?? 10_000,
      maxBodyBytes: input.limits?.maxBodyBytes ?? 1024 * 1024,
    },
    robots,
    routes: input.routes.map((route, index) => ({
      ...route,
      index,
      language: route.language ?? input.language ?? "zh",
      ...(route.template ? { templateFile: resolve(dir, route.template) } : {}),
      ...(route.sample ? { sampleFile: resolve(dir, route.sample) } : {}),
    })),
  };
}
