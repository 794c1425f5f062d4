/**
 * Every route module of the emulator, in order: control API first, then DingTalk's own paths.
 * Add a module here when you add a part of DingTalk's surface.
 * @module
 */
import type { OnListenHook, RouteInstaller } from "../context.js";

/** Route modules installed on every emulator app. */
export const ROUTES: RouteInstaller[] = [];

/** Hooks run when an emulator starts listening (e.g. the Stream WebSocket server). */
export const LISTEN_HOOKS: OnListenHook[] = [];
