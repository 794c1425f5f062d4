/**
 * The relay's Hono app: one POST handler per configured path, plus /healthz and /metrics.
 * Statuses are chosen for senders that retry: 2xx only after the commit; 5xx when the store cannot take the
 * webhook (Alertmanager retries); 4xx only for what retrying cannot fix (bad JSON, bad shape, bad signature,
 * too large).
 * @module
 */
import type { Logger } from "dingbot-sdk";
import { Hono } from "hono";
import type { RelayConfig } from "./config.js";
import { buildEntries, type CompiledRoute } from "./ingest.js";
import type { RelayMetrics } from "./metrics.js";
import { readBody } from "./read-body.js";
import { parseSource, verifyGithubSignature } from "./sources/index.js";
import type { RelayStore } from "./store/store.js";

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
    return c.text(metrics.render(depths), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  for (const [path, routes] of deps.routes) {
    const first = routes[0]?.route;
    if (!first) continue;
    const label = { route: path };
    const refuse = (status: 400 | 401 | 413 | 503, reason: string) => {
      metrics.rejected.inc({ ...label, status: String(status) });
      logger.warn({ route: path, status, reason }, "webhook refused");
      return new Response(JSON.stringify({ status: "error", reason }), {
        status,
        headers: { "content-type": "application/json" },
      });
    };
    app.post(path, async (c) => {
      const read = await readBody(c, config.limits.maxBodyBytes).catch(() => undefined);
      if (!read) return refuse(400, "the body could not be read");
      if (!read.ok) return refuse(413, `body larger than ${config.limits.maxBodyBytes} bytes`);
      const raw = read.bytes;
      const secret = routes.find((r) => r.route.secret)?.route.secret;
      if (first.source === "github" && secret) {
        if (!verifyGithubSignature(secret, raw, c.req.header("x-hub-signature-256"))) {
          return refuse(401, "X-Hub-Signature-256 is missing or does not match the route's secret");
        }
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
      } catch {
        return refuse(400, "body is not JSON");
      }
      const parsed = parseSource(first.source, body, (name) => c.req.header(name));
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
