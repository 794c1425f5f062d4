/**
 * One path's webhook POST, independent of the HTTP framework: the Hono route (app.ts) and the node:http fast
 * route (webhook-fast.ts) both run it, so the checks, their order and the answers exist once.
 * Statuses are chosen for senders that retry: 2xx only after the commit; 5xx when the store cannot take the
 * webhook (Alertmanager retries); 4xx only for what retrying cannot fix (a browser origin, not JSON, bad
 * credentials, bad JSON, too deep, bad shape, bad signature, too large, too slow).
 * @module
 */
import type { Socket } from "node:net";
import type { Logger } from "dingbot-sdk";
import { parseJson } from "dingbot-sdk/protocol";
import type { BodyRead } from "../http/read-body.js";
import type { RelayConfig } from "./config.js";
import { compileGuard, type HeaderReader, isJsonContentType } from "./guard.js";
import { buildEntries, type CompiledRoute } from "./ingest.js";
import type { RelayMetrics } from "./metrics.js";
import { parseSource, verifyGithubSignature } from "./sources/index.js";
import { EntryRejectedError, type RelayStore } from "./store/store.js";

/** What the webhook handler needs of the relay. */
export interface WebhookDeps {
  config: RelayConfig;
  store: RelayStore;
  metrics: RelayMetrics;
  logger: Logger;
  now: () => number;
  /** Called after a commit with the robots that got new entries. */
  onEnqueued: (robots: ReadonlySet<string>) => void;
  /**
   * Whether the server already answered 408 on this socket (the body did not arrive in time): the handler's
   * own failed read is then counted as a 408, not a 400.
   */
  timedOut?: (socket: Socket) => boolean;
}

/** A webhook request as the framework in front delivered it. */
export interface WebhookRequest {
  /** Reads a request header by its lower-case name. */
  header: HeaderReader;
  /** Reads the body with a cap; rejects when the client did not send all of it. */
  readBody(limit: number): Promise<BodyRead>;
  /** The connection, when there is one (to tell a timed-out read from a broken one). */
  socket(): Socket | undefined;
}

/**
 * The answer: a JSON body and its status. A refusal is written as the app always wrote it, a `Response` with
 * a lower-case `content-type` (and `www-authenticate` for a 401 on a bearer route); any other answer as
 * Hono's `c.json()` writes it, `Content-Type`. The header bytes differ, and the fast route keeps both.
 */
export type WebhookAnswer =
  | { refused: false; status: 200 | 202; body: string }
  | { refused: true; status: RefusalStatus; body: string; wwwAuthenticate?: string };

/** The statuses a webhook is refused with. */
export type RefusalStatus = 400 | 401 | 403 | 408 | 413 | 415 | 503;

/** An answer that is not a refusal (written as `c.json()` writes it). */
const json = (status: 200 | 202, value: unknown): WebhookAnswer => ({
  refused: false,
  status,
  body: JSON.stringify(value),
});

/** One path's handler: the answer once the webhook was refused or committed. */
export type WebhookHandler = (request: WebhookRequest) => Promise<WebhookAnswer>;

/**
 * The handlers of every configured path.
 * @param deps - store, metrics, logger, clock, config
 * @param routes - the compiled routes grouped by path (see routesByPath)
 */
export function createWebhookHandlers(
  deps: WebhookDeps,
  routes: ReadonlyMap<string, readonly CompiledRoute[]>,
): Map<string, WebhookHandler> {
  const handlers = new Map<string, WebhookHandler>();
  for (const [path, list] of routes)
    if (list.length > 0) handlers.set(path, createWebhookHandler(deps, path, list));
  return handlers;
}

/**
 * Builds the handler of one path.
 * @param deps - store, metrics, logger, clock, config
 * @param path - the path, as configured (it labels metrics and logs)
 * @param routes - the routes of that path, in config order (at least one)
 */
export function createWebhookHandler(
  deps: WebhookDeps,
  path: string,
  routes: readonly CompiledRoute[],
): WebhookHandler {
  const { config, store, metrics, logger } = deps;
  const first = routes[0]?.route;
  if (!first) throw new Error(`no route for ${path}`);
  const label = { route: path };
  // Every route of a path shares one auth (the config checks it).
  const guard = first.auth ? compileGuard(first.auth) : undefined;
  const secret = routes.find((r) => r.route.secret)?.route.secret;
  const maxBodyBytes = config.limits.maxBodyBytes;
  const refuse = (status: RefusalStatus, reason: string, wwwAuthenticate?: string): WebhookAnswer => {
    metrics.rejected.inc({ ...label, status: String(status) });
    logger.warn({ route: path, status, reason }, "webhook refused");
    const body = JSON.stringify({ status: "error", reason });
    return wwwAuthenticate
      ? { refused: true, status, body, wwwAuthenticate }
      : { refused: true, status, body };
  };
  return async (request) => {
    const header = request.header;
    // Browsers add Origin to cross-site POSTs (no-cors ones too); senders of webhooks are servers and do
    // not. The relay serves no page, so no browser origin is its own.
    if (header("origin") !== undefined) {
      return refuse(403, "requests from web pages are refused (the request has an Origin header)");
    }
    // A page can send text/plain cross-site without a preflight, but not application/json.
    if (!isJsonContentType(header("content-type"))) {
      return refuse(415, "Content-Type must be application/json");
    }
    if (guard && !guard.check(header)) {
      return refuse(
        401,
        `${guard.header} is missing or wrong`,
        guard.header === "Authorization" ? "Bearer" : undefined,
      );
    }
    const read = await request.readBody(maxBodyBytes).catch(() => undefined);
    if (!read) {
      const socket = request.socket();
      if (socket && deps.timedOut?.(socket)) {
        return refuse(408, `the request did not arrive within ${config.listen.requestTimeoutMs} ms`);
      }
      return refuse(400, "the body could not be read");
    }
    if (!read.ok) return refuse(413, `body larger than ${maxBodyBytes} bytes`);
    const raw = read.bytes;
    if (first.source === "github" && secret) {
      if (!verifyGithubSignature(secret, raw, header("x-hub-signature-256"))) {
        return refuse(401, "X-Hub-Signature-256 is missing or does not match the route's secret");
      }
    }
    // Capped nesting: a deep body would overflow the stack later, in a store's shared write.
    const parsedJson = parseJson(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
    if (!parsedJson.ok) {
      return refuse(400, parsedJson.reason === "syntax" ? "body is not JSON" : parsedJson.message);
    }
    const parsed = parseSource(first.source, parsedJson.value, header);
    if (parsed.kind === "invalid") return refuse(400, parsed.reason);
    if (parsed.kind === "pong") return json(200, { status: "pong" });
    if (parsed.kind === "ignored") return json(202, { status: "ignored", reason: parsed.reason });
    const entries = buildEntries(routes, parsed.alerts, parsed.context, deps.now());
    if (entries.length === 0) {
      return json(200, { status: "ignored", reason: "no route matched", alerts: parsed.alerts.length });
    }
    try {
      await store.enqueue(entries);
    } catch (error) {
      if (error instanceof EntryRejectedError) return refuse(400, error.message);
      logger.error({ route: path, err: (error as Error).message }, "store unavailable; webhook refused");
      return refuse(503, "the relay's store is unavailable; retry later");
    }
    const robots = new Set<string>();
    for (const entry of entries) {
      robots.add(entry.robot);
      metrics.alerts.inc({ robot: entry.robot }, entry.lines.length);
    }
    metrics.received.inc(label);
    deps.onEnqueued(robots);
    return json(200, { status: "accepted", alerts: parsed.alerts.length, messages: entries.length });
  };
}
