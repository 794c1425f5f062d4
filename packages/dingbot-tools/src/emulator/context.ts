import type { ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import type { ResolvedEmulatorOptions } from "./options.js";
import type { EmulatorStore } from "./store.js";

/** What every route module of the emulator receives. */
export interface EmulatorContext {
  store: EmulatorStore;
  options: ResolvedEmulatorOptions;
}

/** A route module: adds its routes to the emulator's Hono app. */
export type RouteInstaller = (app: Hono, ctx: EmulatorContext) => void;

/** Something that needs the raw HTTP server (the Stream WebSocket); returns its cleanup. */
export type OnListenHook = (server: ServerType, ctx: EmulatorContext) => () => Promise<void> | void;
