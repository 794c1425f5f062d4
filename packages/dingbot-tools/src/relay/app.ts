/**
 * The relay's Hono app: one POST handler per configured path, plus /healthz and /metrics.
 * Statuses are chosen for senders that retry: 2xx only after the commit; 5xx when the store cannot take the
 * webhook (Alertmanager retries); 4xx only for what retrying cannot fix (a browser origin, not JSON, bad
 * credentials, bad JSON, too deep, bad shape, bad signature, too large, too slow).
 * @module
 */
import type { Socket } from "node:net";
import type { Logger } from "dingbot-sdk";
import { parseJson } from "dingbot-sdk/protocol";
import type { Context } from "hono";
import { Hono } from "hono";
import { incomingOf } from "../http/incoming.js";
import { readCappedBody } from "../http/read-body.js";
import type { RelayConfig } from "./config.js";
import { compileGuard, type HeaderReader, isJsonContentType } from "./guard.js";
import { buildEntries, type CompiledRoute } from "./ingest.js";
import type { RelayMetrics } from "./metrics.js";
import { parseSource, verifyGithubSignature } from "./sources/index.js";
import { EntryRejectedError, type RelayStore } from "./store/store.js";

/** What the app needs. */
export interface RelayAppDeps {
  config: RelayConfig;
  routes: ReadonlyMap<string, readonly CompiledRoute[]>;
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

/** Reads headers from the Node request when there is one: building the Fetch Request for them costs. */
function headerReader(c: Context): HeaderReader {
  const headers = incomingOf(c)?.headers;
  if (!headers) return (name) => c.req.header(name);
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(", ") : value;
  };
}

/**
 * Creates the relay's HTTP app.
 * @param deps - config, compiled routes, store, metrics, logger, clock
 */
export function createRelayApp(deps: RelayAppDeps): Hono {
  const { config, store, metrics, logger } = deps;
  const app = new Hono();

  app.get("/healthz", async (c) => {
    const ok = await store.healthy().catch(() => false);
    return c.json({ status: ok ? "ok" : "store unavailable", store: store.kind }, ok ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    const depths = new Map<string, number>();
    for (const robot of config.robots.keys()) depths.set(robot, await store.depth(robot).catch(() => -1));
    return c.text(await metrics.render(depths), 200, { "content-type": metrics.contentType });
  });

  for (const [path, routes] of deps.routes) {
    const first = routes[0]?.route;
    if (!first) continue;
    const label = { route: path };
    // Every route of a path shares one auth (the config checks it).
    const guard = first.auth ? compileGuard(first.auth) : undefined;
    const refuse = (
      status: 400 | 401 | 403 | 408 | 413 | 415 | 503,
      reason: string,
      headers: Record<string, string> = {},
    ) => {
      metrics.rejected.inc({ ...label, status: String(status) });
      logger.warn({ route: path, status, reason }, "webhook refused");
      return new Response(JSON.stringify({ status: "error", reason }), {
        status,
        headers: { "content-type": "application/json", ...headers },
      });
    };
    app.post(path, async (c) => {
      const header = headerReader(c);
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
          guard.header === "Authorization" ? { "www-authenticate": "Bearer" } : {},
        );
      }
      const read = await readCappedBody(c, config.limits.maxBodyBytes).catch(() => undefined);
      if (!read) {
        const socket = incomingOf(c)?.socket;
        if (socket && deps.timedOut?.(socket)) {
          return refuse(408, `the request did not arrive within ${config.listen.requestTimeoutMs} ms`);
        }
        return refuse(400, "the body could not be read");
      }
      if (!read.ok) return refuse(413, `body larger than ${config.limits.maxBodyBytes} bytes`);
      const raw = read.bytes;
      const secret = routes.find((r) => r.route.secret)?.route.secret;
      if (first.source === "github" && secret) {
        if (!verifyGithubSignature(secret, raw, header("x-hub-signature-256"))) {
          return refuse(401, "X-Hub-Signature-256 is missing or does not match the route's secret");
        }
      }
      // Capped nesting: a deep body would overflow the stack later, in a store's shared write.
      const json = parseJson(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
      if (!json.ok) return refuse(400, json.reason === "syntax" ? "body is not JSON" : json.message);
      const body = json.value;
      const parsed = parseSource(first.source, body, header);
      if (parsed.kind === "invalid") return refuse(400, parsed.reason);
      if (parsed.kind === "pong") return c.json({ status: "pong" }, 200);
      if (parsed.kind === "ignored") return c.json({ status: "ignored", reason: parsed.reason }, 202);
      const entries = buildEntries(routes, parsed.alerts, parsed.context, deps.now());
      if (entries.length === 0) {
        return c.json({ status: "ignored", reason: "no route matched", alerts: parsed.alerts.length }, 200);
      }
      try {
        await store.enqueue(entries);
      } catch (error) {
        if (error instanceof EntryRejectedError) return refuse(400, error.message);
        logger.error({ route: path, err: (error as Error).message }, "store unavailable; webhook refused");
        return refuse(503, "the relay's store is unavailable; retry later");
      }
      const robots = new Set(entries.map((entry) => entry.robot));
      metrics.received.inc(label);
      for (const entry of entries) metrics.alerts.inc({ robot: entry.robot }, entry.lines.length);
      deps.onEnqueued(robots);
      return c.json({ status: "accepted", alerts: parsed.alerts.length, messages: entries.length }, 200);
    });
  }

  app.notFound((c) => c.json({ status: "error", reason: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    logger.error({ err: error.message }, "unexpected error");
    return c.json({ status: "error", reason: "internal error" }, 500);
  });
  return app;
}
