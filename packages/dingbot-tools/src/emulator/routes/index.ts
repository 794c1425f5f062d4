/**
 * Every route module of the emulator, in order: the control API's guard, the control API, then DingTalk's
 * own paths.
 * Add a module here when you add a part of DingTalk's surface.
 * @module
 */
import type { FastRoute } from "../../http/fast-routes.js";
import type { EmulatorContext, OnListenHook, RouteInstaller } from "../context.js";
import { streamListenHook } from "../stream/listen-hook.js";
import { installAppApi } from "./app-api.js";
import { installCardApi } from "./cards-api.js";
import { installCardControl } from "./cards-control.js";
import { installLegacyCards } from "./cards-legacy.js";
import { installControl } from "./control.js";
import { installControlChat } from "./control-chat.js";
import { installControlGuard } from "./control-guard.js";
import { installControlWorld } from "./control-world.js";
import { installEventRoutes } from "./events.js";
import { installFaults } from "./faults.js";
import { installGateway } from "./gateway.js";
import { installMedia } from "./media.js";
import { installMessageRead } from "./message-read.js";
import { installPageRoutes } from "./page.js";
import { installSessionWebhook } from "./session-webhook.js";
import { installStreamControl } from "./stream-control.js";
import { installWebhook } from "./webhook.js";
import { robotSendFastRoute } from "./webhook-fast.js";

/** Route modules installed on every emulator app. */
export const ROUTES: RouteInstaller[] = [
  // First: its Host/Origin/Content-Type checks must run before any control route answers.
  installControlGuard,
  installControl,
  installControlWorld,
  installControlChat,
  installFaults,
  installEventRoutes,
  installPageRoutes,
  installWebhook,
  installSessionWebhook,
  installStreamControl,
  installGateway,
  installMessageRead,
  installCardControl,
  // Before the app API: its `/v1.0/*` catch-all answers every path not served earlier.
  installCardApi,
  installLegacyCards,
  // Before the app API: its `/v1.0/*` catch-all would answer messageFiles/download.
  installMedia,
  installAppApi,
];

/** Hooks run when an emulator starts listening (e.g. the Stream WebSocket server). */
export const LISTEN_HOOKS: OnListenHook[] = [streamListenHook];

/**
 * Routes that take some requests on node:http before Hono sees them, when the emulator listens (see
 * `http/fast-routes.ts`). Each leaves to Hono every request it is not sure about, so `ROUTES` still serves
 * the same paths, and is what `app.request()` uses.
 */
export const FAST_ROUTES: Array<(ctx: EmulatorContext) => FastRoute> = [robotSendFastRoute];
