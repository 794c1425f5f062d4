/**
 * createEmulator(): one Hono app that plays DingTalk at one base URL (oapi and api paths together),
 * plus its control API under /_emulator/.
 * @module
 */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import type { EmulatorContext } from "./context.js";
import { type EmulatorOptions, resolveEmulatorOptions } from "./options.js";
import { LISTEN_HOOKS, ROUTES } from "./routes/index.js";
import { EmulatorStore } from "./store.js";

/** A running or runnable emulator. */
export interface Emulator {
  /** The Hono app: `app.request()` serves it without a socket, `app.fetch` with one. */
  app: Hono;
  store: EmulatorStore;
  ctx: EmulatorContext;
  /** Starts listening; resolves with the base URL (e.g. `http://127.0.0.1:8089`). */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops listening and closes every socket. */
  close(): Promise<void>;
  /** The base URL once listening. */
  readonly url: string | undefined;
}

/**
 * Creates an emulator.
 * @param options - limits and clock; defaults are DingTalk's real values
 * @example
 * const emulator = createEmulator({ rateWindowMs: 1000 });
 * const baseUrl = await emulator.listen(0);
 * process.env.DINGTALK_BASE_URL = baseUrl;
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const resolved = resolveEmulatorOptions(options);
  const store = new EmulatorStore(resolved.now);
  const ctx: EmulatorContext = { store, options: resolved };
  const app = new Hono();
  for (const install of ROUTES) install(app, ctx);
  let server: ServerType | undefined;
  let url: string | undefined;
  const closers: Array<() => Promise<void> | void> = [];
  return {
    app,
    store,
    ctx,
    get url() {
      return url;
    },
    listen(port = 8089, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
          url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
          resolve(url);
        });
        server.once("error", reject);
        for (const hook of LISTEN_HOOKS) closers.push(hook(server, ctx));
      });
    },
    async close() {
      for (const close of closers.splice(0)) await close();
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        // Keep-alive and SSE sockets would hold close() open forever.
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      server = undefined;
    },
  };
}
