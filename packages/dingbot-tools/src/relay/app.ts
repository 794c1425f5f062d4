/**
 * The relay's Hono app: one POST handler per configured path (webhook.ts), plus /healthz and /metrics.
 * The server puts a node:http fast route in front of the POST handlers (webhook-fast.ts); this app answers
 * whatever that route leaves, with the same handler.
 * @module
 */
import type { Logger } from "dingbot-sdk";
import type { Context } from "hono";
import { Hono } from "hono";
import { incomingOf } from "../http/incoming.js";
import { readCappedBody } from "../http/read-body.js";
import type { RelayConfig } from "./config.js";
import { type HeaderReader, nodeHeaderReader } from "./guard.js";
import type { RelayMetrics } from "./metrics.js";
import type { RelayStore } from "./store/store.js";
import type { WebhookAnswer, WebhookHandler } from "./webhook.js";

/** What the app needs. */
export interface RelayAppDeps {
  config: RelayConfig;
  store: RelayStore;
  metrics: RelayMetrics;
  logger: Logger;
  /** Each configured path's webhook handler (createWebhookHandlers). */
  webhooks: ReadonlyMap<string, WebhookHandler>;
}

/** Reads headers from the Node request when there is one: building the Fetch Request for them costs. */
function headerReader(c: Context): HeaderReader {
  const headers = incomingOf(c)?.headers;
  return headers ? nodeHeaderReader(headers) : (name) => c.req.header(name);
}

/** The answer as the app has always written it (the fast route writes the same bytes, see webhook-fast.ts). */
function toResponse(c: Context, answer: WebhookAnswer): Response {
  if (!answer.refused) {
    return c.body(answer.body, answer.status, { "Content-Type": "application/json" });
  }
  return new Response(answer.body, {
    status: answer.status,
    headers: answer.wwwAuthenticate
      ? { "content-type": "application/json", "www-authenticate": answer.wwwAuthenticate }
      : { "content-type": "application/json" },
  });
}

/**
 * Creates the relay's HTTP app.
 * @param deps - config, store, metrics, logger, and the webhook handlers
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

  for (const [path, handle] of deps.webhooks) {
    app.post(path, async (c) =>
      toResponse(
        c,
        await handle({
          header: headerReader(c),
          readBody: (limit) => readCappedBody(c, limit),
          socket: () => incomingOf(c)?.socket,
        }),
      ),
    );
  }

  app.notFound((c) => c.json({ status: "error", reason: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    logger.error({ err: error.message }, "unexpected error");
    return c.json({ status: "error", reason: "internal error" }, 500);
  });
  return app;
}
