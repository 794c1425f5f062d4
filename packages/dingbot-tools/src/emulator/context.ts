import type { ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import type { ResolvedEmulatorOptions } from "./options.js";
import type { EmulatorStore } from "./store.js";

/** What every route module of the emulator receives. */
export interface EmulatorContext {
  store: EmulatorStore;
  options: ResolvedEmulatorOptions;
  /** Set by the stream server when the emulator listens; absent with `app.request()` only. */
  stream?: StreamHub;
  /** The address the emulator listens on (e.g. `127.0.0.1`, `0.0.0.0`), once it listens. */
  listenHost?: string;
}

/** A route module: adds its routes to the emulator's Hono app. */
export type RouteInstaller = (app: Hono, ctx: EmulatorContext) => void;

/** Something that needs the raw HTTP server (the Stream WebSocket); returns its cleanup. */
export type OnListenHook = (server: ServerType, ctx: EmulatorContext) => () => Promise<void> | void;

/** What happened when the emulator delivered a person's message to a bot. */
export interface DeliveryResult {
  /** The bot received it (HTTP 2xx, or a Stream ack). */
  delivered: boolean;
  /** HTTP callbacks only: the body the bot answered inline, if it was a message. */
  inlineReply?: Record<string, unknown>;
  /** Stream apps without a connection: the message waits for the bot to connect. */
  queued?: boolean;
  /** Why delivery failed, when it did. */
  error?: string;
  /** Attempts made (retries after 5xx/timeouts reuse the msgId). */
  attempts: number;
}

/**
 * The Stream side of the emulator, implemented by the stream server once it listens. Delivery code calls
 * it for apps created with `mode: "stream"`.
 */
export interface StreamHub {
  /** Pushes a robot-message CALLBACK to one of the app's connections; resolves when acked or given up. */
  pushRobotMessage(appKey: string, body: Record<string, unknown>): Promise<DeliveryResult>;
  /** Whether the app has at least one open connection. */
  isConnected(appKey: string): boolean;
}
