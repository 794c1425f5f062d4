/**
 * createRelay(): wires config, store, templates, sender and schedulers into a runnable relay.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { Logger } from "dingbot-sdk";
import type { Hono } from "hono";
import { createRelayApp } from "./app.js";
import type { RelayConfig } from "./config.js";
import { foldDigest } from "./digest.js";
import { type CompiledRoute, routesByPath } from "./ingest.js";
import { createRelayLogger, secretsOf } from "./log.js";
import { compileMatchers } from "./match.js";
import { RelayMetrics } from "./metrics.js";
import { RobotScheduler } from "./scheduler.js";
import { createWebhookSender, type Sender } from "./sender.js";
import { openStore } from "./store/open.js";
import type { RelayStore } from "./store/store.js";
import { createRouteRenderer } from "./templates/engine.js";
import type { OutboxEntry, RenderedMessage } from "./types.js";

/**
 * Compiles every route's matchers and template (dry-rendered against a sample).
 * @param config - the relay config
 * @throws TemplateError naming the template file and line
 */
export function compileRouteTemplates(config: RelayConfig): CompiledRoute[] {
  return config.routes.map((route) => ({
    route,
    matches: compileMatchers(route.match),
    renderer: createRouteRenderer(route, config.timezone),
  }));
}

/**
 * Renders an entry with its route's template; an entry whose route no longer exists (the config changed
 * while it was queued) or whose rendering fails is sent as a one-entry digest, so it is never lost.
 */
function renderEntry(compiled: readonly CompiledRoute[], entry: OutboxEntry): RenderedMessage {
  const mentions = { atMobiles: entry.atMobiles, atUserIds: entry.atUserIds, atAll: entry.atAll };
  const route = compiled[entry.route];
  try {
    if (route) return { ...route.renderer.render(entry.alerts, entry.context), ...mentions };
  } catch {
    // Fall through to the digest form below.
  }
  return foldDigest([entry], route?.route.language ?? "zh").message;
}

/** Seams of {@link createRelay}; everything defaults to the real thing. */
export interface RelayOptions {
  /** Environment (DINGTALK_BASE_URL). */
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  logger?: Logger;
  /** Replaces the WebhookClient-based sender (tests of the scheduler). */
  sender?: Sender;
  /** Replaces the store named by the config. */
  store?: RelayStore;
  /** Redis mode: how often idle schedulers poll (default 200 ms). */
  pollMs?: number;
  /** Redis mode: lease lifetime of a robot's sender (default 5000 ms). */
  leaseMs?: number;
}

/** A relay: its HTTP app, and start/stop of the listener and schedulers. */
export interface Relay {
  app: Hono;
  config: RelayConfig;
  store: RelayStore;
  metrics: RelayMetrics;
  /** Starts the schedulers and listens on `listen` (or the given port); resolves with the base URL. */
  start(port?: number, host?: string): Promise<string>;
  /** Starts the schedulers only (the app can then be served by the caller). */
  startSchedulers(): void;
  /** Stops listening, lets sends in flight finish, closes the store. */
  stop(): Promise<void>;
}

/**
 * Creates a relay from a loaded config. Templates are compiled and dry-rendered here, so a bad template
 * fails before anything listens.
 * @param config - from {@link loadRelayConfig}
 * @param options - seams
 * @throws TemplateError for a bad template; StoreUnavailableError when the store cannot be opened
 * @example
 * const relay = await createRelay(loadRelayConfig("relay.yaml"));
 * console.log(await relay.start());
 */
export async function createRelay(config: RelayConfig, options: RelayOptions = {}): Promise<Relay> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createRelayLogger(config.log.level, secretsOf(config));
  const compiled = compileRouteTemplates(config);
  for (const route of config.routes) {
    if (route.source === "github" && !route.secret) {
      logger.warn({ route: route.path }, "GitHub route without a secret: X-Hub-Signature-256 is not checked");
    }
  }
  const sender =
    options.sender ??
    createWebhookSender(config.robots, {
      ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now,
      timeoutMs: config.limits.requestTimeoutMs,
      logger,
    });
  const store = options.store ?? (await openStore(config));
  const metrics = new RelayMetrics();
  const owner = randomUUID();
  const schedulers = new Map<string, RobotScheduler>();
  for (const robot of config.robots.values()) {
    schedulers.set(
      robot.name,
      new RobotScheduler(robot, {
        store,
        sender,
        metrics,
        logger,
        limits: config.limits,
        language: config.routes.find((route) => route.robots.includes(robot.name))?.language ?? "zh",
        now,
        random: options.random ?? Math.random,
        owner,
        pollMs: options.pollMs ?? 200,
        leaseMs: options.leaseMs ?? 5000,
        render: (entry) => renderEntry(compiled, entry),
      }),
    );
  }
  const app = createRelayApp({
    config,
    routes: routesByPath(compiled),
    store,
    metrics,
    logger,
    now,
    onEnqueued: (robots) => {
      for (const robot of robots) schedulers.get(robot)?.wake();
    },
  });
  let server: ServerType | undefined;
  const startSchedulers = (): void => {
    for (const scheduler of schedulers.values()) scheduler.start();
  };
  return {
    app,
    config,
    store,
    metrics,
    startSchedulers,
    start(port = config.listen.port, host = config.listen.host) {
      startSchedulers();
      return new Promise((resolve, reject) => {
        server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
          const url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
          logger.info({ url, store: store.kind, routes: config.routes.length }, "relay listening");
          resolve(url);
        });
        server.once("error", reject);
      });
    },
    async stop() {
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      server = undefined;
      await Promise.all([...schedulers.values()].map((scheduler) => scheduler.stop()));
      await store.close();
    },
  };
}
