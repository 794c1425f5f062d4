/**
 * createRelay(): wires config, store, templates, sender and schedulers into a runnable relay.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { Logger } from "dingbot-sdk";
import type { Hono } from "hono";
import { withFastRoutes } from "../http/fast-routes.js";
import { createRelayApp } from "./app.js";
import { authWarnings, type RelayConfig } from "./config.js";
import { type CompiledRoute, routesByPath } from "./ingest.js";
import { createRelayLogger, secretsOf } from "./log.js";
import { compileMatchers } from "./match.js";
import { RelayMetrics } from "./metrics.js";
import { createEntryRenderer } from "./render.js";
import { RobotScheduler } from "./scheduler.js";
import { SendSlots } from "./send-slots.js";
import { createWebhookSender, type Sender } from "./sender.js";
import { openStore } from "./store/open.js";
import type { RelayStore } from "./store/store.js";
import { createRouteRenderer } from "./templates/engine.js";
import { createWebhookHandlers } from "./webhook.js";
import { webhookFastRoute } from "./webhook-fast.js";

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

/** Raised by {@link Relay.start} when the relay cannot listen (the port is taken, the address is not ours). */
export class RelayListenError extends Error {
  constructor(
    message: string,
    /** The system error code, e.g. `EADDRINUSE`. */
    readonly code: string | undefined,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RelayListenError";
  }
}

/** A relay: its HTTP app, and start/stop of the listener and schedulers. */
export interface Relay {
  app: Hono;
  config: RelayConfig;
  store: RelayStore;
  metrics: RelayMetrics;
  /** The HTTP server once {@link Relay.start} has listened (undefined before and after). */
  readonly server: Server | undefined;
  /**
   * Listens on `listen` (or the given port), then starts the schedulers; resolves with the base URL.
   * Nothing is sent from the outbox by a relay that could not listen.
   * @throws RelayListenError when it cannot listen
   */
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
  if (config.unsetSecrets?.length) {
    // Loaded for reading the store only: its webhooks and secrets are placeholders.
    throw new Error(
      `the relay config was loaded without ${config.unsetSecrets.join(", ")}: it cannot run a relay`,
    );
  }
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
  const render = createEntryRenderer(compiled);
  const slots = new SendSlots();
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
        render,
        slots,
      }),
    );
  }
  // Sockets the server answered 408 on, so the handler's failed body read is counted as such.
  const timedOut = new WeakSet<Socket>();
  const webhooks = createWebhookHandlers(
    {
      timedOut: (socket) => timedOut.has(socket),
      config,
      store,
      metrics,
      logger,
      now,
      onEnqueued: (robots) => {
        for (const robot of robots) schedulers.get(robot)?.wake();
      },
    },
    routesByPath(compiled),
  );
  const app = createRelayApp({ config, store, metrics, logger, webhooks });
  let server: Server | undefined;
  const startSchedulers = (): void => {
    for (const scheduler of schedulers.values()) scheduler.start();
  };
  const listen = (port: number, host: string): Promise<Server> => {
    const { headersTimeoutMs, requestTimeoutMs } = config.listen;
    // What @hono/node-server's createAdaptorServer does, with the webhook POSTs taken from node:http first.
    const created = createServer(
      {
        // A sender that trickles its request would otherwise hold a connection for Node's 5 minutes.
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        // Node checks the timeouts only this often (30 s by default), which would blur a 15 s limit.
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
      },
      withFastRoutes(getRequestListener(app.fetch), [webhookFastRoute(webhooks, logger)]),
    );
    // A client may end its side once the request is sent. node:http then drops the request unless the server
    // allows half-open connections, and the answer waits for a commit that may come a turn later (see
    // group-commit.ts); allowed, the answer is written and the connection closed after it.
    // relay-server.test.ts fails if a Node stops reading this (undocumented) property.
    (created as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    created.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
        timedOut.add(socket);
        logger.warn({ status: 408 }, "request not received in time; connection closed");
      }
      // As Node itself does: answer only when no response of this connection has begun.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (socket.writable && !inFlight?.headersSent) {
        const [status, reason] =
          error.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? ["408 Request Timeout", `the request did not arrive within ${requestTimeoutMs} ms`]
            : error.code === "HPE_HEADER_OVERFLOW"
              ? ["431 Request Header Fields Too Large", "request headers too large"]
              : ["400 Bad Request", "malformed HTTP request"];
        const body = JSON.stringify({ status: "error", reason });
        socket.write(
          `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    });
    return new Promise((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException): void => {
        created.close();
        const where = `${host}:${port}`;
        const message =
          error.code === "EADDRINUSE"
            ? `port ${port} in use (try --port)`
            : error.code === "EACCES"
              ? `not allowed to listen on ${where} (try a port above 1023 with --port)`
              : error.code === "EADDRNOTAVAIL"
                ? `cannot listen on ${where}: no such local address (check listen.host)`
                : `cannot listen on ${where}: ${error.code ?? error.message}`;
        reject(new RelayListenError(message, error.code, port, { cause: error }));
      };
      created.once("error", fail);
      created.listen(port, host, () => {
        created.off("error", fail);
        // After start-up an 'error' (e.g. EMFILE on accept) must not crash the relay: log it, keep serving.
        created.on("error", (error: NodeJS.ErrnoException) =>
          logger.error({ err: error.code ?? error.name }, "http server error"),
        );
        resolve(created);
      });
    });
  };
  return {
    app,
    config,
    store,
    metrics,
    startSchedulers,
    get server() {
      return server;
    },
    async start(port = config.listen.port, host = config.listen.host) {
      // Listen first: a relay that cannot listen (a second one on the same port) must not send from the
      // shared outbox.
      server = await listen(port, host);
      startSchedulers();
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
      logger.info({ url, store: store.kind, routes: config.routes.length }, "relay listening");
      for (const warning of authWarnings(config, host)) logger.warn({}, warning);
      return url;
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
