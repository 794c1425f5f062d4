/**
 * `streamTransport()`: receives robot messages over DingTalk Stream mode (protocol section 3) and hands
 * them to the bot. Acks every frame, echoes SYSTEM pings, follows SYSTEM disconnect to a fresh
 * connection, de-duplicates redeliveries across reconnects, and drains in-flight handlers on stop.
 * @module
 */
import { WebSocket as WsWebSocket } from "ws";
import { resolveBaseUrls } from "../../../client/base-url.js";
import { type Logger, silentLogger } from "../../../logger.js";
import { CARD_CALLBACK_TOPIC, ROBOT_MESSAGE_TOPIC } from "../../../protocol/index.js";
import { VERSION } from "../../../version.js";
import { MsgIdCache } from "../../msg-id-cache.js";
import type { CardCallbackHandler, Transport } from "../transport.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import {
  type StateListener,
  StreamConnection,
  type StreamState,
  type WebSocketConstructor,
} from "./connection.js";
import {
  type EventStatus,
  FrameRouter,
  type StreamAckPolicy,
  type StreamEvent,
  type StreamStats,
} from "./frame-router.js";
import { type GatewayTicket, openGateway } from "./gateway.js";

export type { EventStatus, StreamAckPolicy, StreamEvent, StreamStats } from "./frame-router.js";

/**
 * The `ua` the transport sends to the gateway unless told otherwise, in the `name-sdk-lang/version` form
 * DingTalk suggests (its SDKs send `dingtalk-sdk-go/v0.9.2`, `dingtalk-sdk-python/…`). The version is the
 * library's one version string.
 */
export const STREAM_DEFAULT_UA = `dingbot-sdk-nodejs/${VERSION}`;

/** Settings of {@link streamTransport}. */
export interface StreamTransportOptions {
  /** The app's AppKey (Stream `clientId`). */
  clientId: string;
  /** The app's AppSecret (Stream `clientSecret`). Never logged. */
  clientSecret: string;
  /** Base URL of the new API (default `DINGTALK_BASE_URL`, else https://api.dingtalk.com). */
  baseUrl?: string;
  /** WebSocket constructor (default: the `ws` package). */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Clock, epoch ms (default Date.now). */
  now?: () => number;
  backoff?: BackoffOptions;
  /** Interval of WebSocket-level keepalive pings, in ms (default 10 000). */
  keepAliveMs?: number;
  /** A connection open this long counts as healthy and resets the backoff, in ms (default 5 000). */
  healthyAfterMs?: number;
  /** `on-receipt` (default): ack before the handler runs, as DingTalk redelivers slow acks. `after-handler`: ack when it settles, code 500 if it threw. */
  ack?: StreamAckPolicy;
  /**
   * Remembered ids of the transport's own de-duplication memory (default 10 000): event ids, and msgIds when
   * it runs without a Bot or under `new Bot({ dedupe: false })`. Under a Bot with its default de-duplication
   * the msgIds go to the bot's memory instead (its `dedupe` settings), which outlives a transport restart.
   */
  dedupeSize?: number;
  /** Longest wait for in-flight handlers on stop, in ms (default 10 000). */
  drainTimeoutMs?: number;
  /** How long a socket stays open after a SYSTEM disconnect, for late acks, in ms (default 10 000). */
  retireGraceMs?: number;
  /** Longest gateway call and longest WebSocket handshake, in ms (default 10 000); then the attempt is retried. */
  connectTimeoutMs?: number;
  /** `ua` sent to the gateway (default {@link STREAM_DEFAULT_UA}, DingTalk's `name-sdk-lang/version` form). */
  ua?: string;
  /**
   * Called for EVENT frames. Only a transport with this handler subscribes to `EVENT *`: DingTalk pushes
   * each event to one connection of the app, so a bot without a handler must not take events meant for
   * another consumer of the same app (one that arrives anyway is acked 404, as the official Go SDK does).
   */
  onEvent?: (event: StreamEvent) => EventStatus | Promise<EventStatus>;
  /**
   * Handles card callbacks (topic `/v1.0/card/instances/callback`) when the transport is used without a
   * bot; a bot's `bot.action` handlers take precedence (they come with `bot.start`). Only a transport with
   * a card handler subscribes to the topic, for the same reason as with `onEvent`.
   */
  onCardCallback?: CardCallbackHandler;
  /** Builds the WebSocket URL from the gateway answer (default `${endpoint}?ticket=${ticket}`). */
  socketUrl?: (ticket: GatewayTicket) => string;
  /** Called on every state change. */
  onStateChange?: StateListener;
}

/** A {@link Transport} over Stream mode, with its state observable. */
export interface StreamTransport extends Transport {
  /** The connection's state. */
  readonly state: StreamState;
  readonly stats: StreamStats;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: StateListener): () => void;
  /** Settles when the transport stops: resolves after stop(), rejects when the gateway refuses the credentials. */
  readonly finished: Promise<void>;
}

/**
 * Creates a Stream-mode transport.
 * @param options - credentials and tuning
 * @throws TypeError when clientId/clientSecret are missing or a number option is not positive
 * @example
 * const bot = new Bot();
 * bot.on("text", (ctx) => ctx.reply(messages.text(`echo: ${ctx.text}`)));
 * await bot.start(streamTransport({ clientId: process.env.DINGTALK_APP_KEY!, clientSecret: process.env.DINGTALK_APP_SECRET! }));
 */
export function streamTransport(options: StreamTransportOptions): StreamTransport {
  if (!options.clientId) throw new TypeError("clientId is required");
  if (!options.clientSecret) throw new TypeError("clientSecret is required");
  for (const key of [
    "keepAliveMs",
    "healthyAfterMs",
    "drainTimeoutMs",
    "retireGraceMs",
    "connectTimeoutMs",
  ] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new TypeError(`${key} must be a positive number`);
    }
  }
  const apiBase = resolveBaseUrls(options.baseUrl).api;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const stats: StreamStats = {
    dispatched: 0,
    cardCallbacks: 0,
    duplicates: 0,
    acks: 0,
    failures: 0,
    reconnects: 0,
  };
  // Handlers running, counted rather than kept (no promise per message); drain() waits for 0.
  let inflight = 0;
  const drained: (() => void)[] = [];
  const stateListeners = new Set<StateListener>();
  if (options.onStateChange) stateListeners.add(options.onStateChange);

  // Forgotten by capacity only: a redelivery can come any time after a reconnect.
  const ownMemory = new MsgIdCache({ max: options.dedupeSize ?? 10_000, ttlMs: Number.POSITIVE_INFINITY });
  const router = new FrameRouter({
    ackPolicy: options.ack ?? "on-receipt",
    dedupe: ownMemory,
    logger,
    now,
    onEvent: options.onEvent,
    stats,
    handlerStarted: () => {
      inflight += 1;
    },
    handlerSettled: () => {
      inflight -= 1;
      if (inflight === 0) for (const wake of drained.splice(0)) wake();
    },
  });

  const connection = new StreamConnection({
    openTicket: (signal) =>
      openGateway({
        fetch: fetchFn,
        apiBase,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        // Read at each connect: router.cardCallback is set by start(), before the first one.
        subscriptions: [
          ...(options.onEvent ? [{ type: "EVENT" as const, topic: "*" }] : []),
          { type: "CALLBACK" as const, topic: ROBOT_MESSAGE_TOPIC },
          ...(router.cardCallback ? [{ type: "CALLBACK" as const, topic: CARD_CALLBACK_TOPIC }] : []),
        ],
        ua: options.ua ?? STREAM_DEFAULT_UA,
        signal,
      }),
    WebSocket: options.WebSocket ?? (WsWebSocket as unknown as WebSocketConstructor),
    backoff: new Backoff(options.backoff),
    keepAliveMs: options.keepAliveMs ?? 10_000,
    healthyAfterMs: options.healthyAfterMs ?? 5_000,
    retireGraceMs: options.retireGraceMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    now,
    logger,
    socketUrl: options.socketUrl ?? ((t) => `${t.endpoint}?ticket=${encodeURIComponent(t.ticket)}`),
    onFrame: (text, link) => router.route(text, link),
  });
  connection.onStateChange((state, previous) => {
    stats.reconnects = connection.reconnects;
    for (const listener of stateListeners) listener(state, previous);
  });

  const drain = async (): Promise<void> => {
    if (inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn({ inflight }, "stream stop: handlers still running after drainTimeoutMs");
        resolve();
      }, drainTimeoutMs);
    });
    await Promise.race([new Promise<void>((resolve) => drained.push(resolve)), timeout]);
    clearTimeout(timer);
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      connection.beginStop();
      await drain();
      await connection.close();
    })();
    return stopping;
  };

  return {
    get state() {
      return connection.state;
    },
    stats,
    get finished() {
      return connection.finished;
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    start(dispatchFn, signal, hooks) {
      router.dispatch = dispatchFn;
      router.cardCallback = hooks?.cardCallback ?? options.onCardCallback;
      // The bot's msgId memory when it has one: the record of what was handled outlives this transport.
      router.seen = hooks?.seen ?? ownMemory;
      if (signal.aborted) return stop();
      signal.addEventListener("abort", () => void stop(), { once: true });
      return connection.start();
    },
    stop,
  };
}
