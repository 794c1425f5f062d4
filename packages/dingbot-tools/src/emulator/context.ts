/**
 * The emulator's context: everything one emulator knows, as typed fields. Built once by
 * {@link createEmulatorContext} (called by `createEmulator`) and handed to every route module; a new part of
 * the emulator's state (cards, media…) is one more field here and one more line there.
 * @module
 */
import type { ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import { AppApiState } from "./app-api-state.js";
import { CardState } from "./cards/state.js";
import { MediaStore } from "./media/media-store.js";
import type { ResolvedEmulatorOptions } from "./options.js";
import { WebhookRuntime } from "./runtime.js";
import type { EmulatorStore } from "./store.js";
import type { StreamServer } from "./stream/hub.js";
import { TicketBook } from "./stream/tickets.js";

export type { DeliveryResult, StreamHub } from "./delivery-result.js";

/** What every route module of the emulator receives. */
export interface EmulatorContext {
  /** The visible world: robots, apps, users, conversations, messages, rejections. */
  readonly store: EmulatorStore;
  readonly options: ResolvedEmulatorOptions;
  /** State of the robot webhooks: rate windows, injected faults, reply sessions, seen msgUuids. */
  readonly webhook: WebhookRuntime;
  /** State of the app APIs: issued tokens, work notifications, robot OpenAPI sends. */
  readonly appApi: AppApiState;
  /** Stream tickets: minted by the gateway route, spent by the WebSocket handshake. */
  readonly tickets: TicketBook;
  /** Cards: templates, card instances, HTTP callback URLs, card permissions and QPS windows. */
  readonly cards: CardState;
  /** Files people send and robots upload, their downloadCodes and signed download URLs. */
  readonly media: MediaStore;
  /** The Stream server, set while the emulator listens; absent with `app.request()` only. */
  stream?: StreamServer;
  /** The address the emulator listens on (e.g. `127.0.0.1`, `0.0.0.0`), once it listens. */
  listenHost?: string;
}

/**
 * Builds an emulator's context. The webhook and app-API state is cleared with the store on
 * `POST /_emulator/reset` (the Stream server, which exists only while listening, drops its connections then
 * too); tickets survive a reset, since a ticket of a deleted app is refused at the handshake anyway.
 * @param store - the emulator's world
 * @param options - resolved options
 */
export function createEmulatorContext(
  store: EmulatorStore,
  options: ResolvedEmulatorOptions,
): EmulatorContext {
  const ctx: EmulatorContext = {
    store,
    options,
    webhook: new WebhookRuntime(options),
    appApi: new AppApiState(store),
    tickets: new TicketBook(options.now, () => options.ticketTtlMs),
    cards: new CardState(),
    media: new MediaStore({
      now: options.now,
      codeTtlMs: options.mediaDownloadCodeTtlMs,
      urlTtlMs: options.mediaDownloadUrlTtlMs,
      maxStoredBytes: options.mediaMaxStoredBytes,
    }),
  };
  store.events.on("reset", () => {
    ctx.webhook.clear();
    ctx.appApi.clear();
    ctx.cards.clear();
    ctx.media.clear();
  });
  return ctx;
}

/** A route module: adds its routes to the emulator's Hono app. */
export type RouteInstaller = (app: Hono, ctx: EmulatorContext) => void;

/** Something that needs the raw HTTP server (the Stream WebSocket); returns its cleanup. */
export type OnListenHook = (server: ServerType, ctx: EmulatorContext) => () => Promise<void> | void;
