/**
 * The lifecycle of a Stream client as an explicit state machine (design.md B4):
 *
 *   idle → connecting → open → (socket lost | disconnect frame) → backing-off → connecting → …
 *   any → stopping → stopped          connecting → stopped (credentials refused)
 *
 * There is exactly one path to a reconnect, `#scheduleReconnect()`, and it is guarded by the state and
 * by the identity of the socket that reported the loss, so a handshake `error` followed by `close`
 * schedules one reconnect, not two (the official SDK schedules both).
 * @module
 */

import type { RawData, WebSocket } from "ws";
import type { Logger } from "../../../logger.js";
import { redactText } from "../../../redact.js";
import type { Backoff } from "./backoff.js";
import { type GatewayTicket, isUnrecoverable } from "./gateway.js";

/** Where the connection is in its lifecycle. */
export type StreamState = "idle" | "connecting" | "open" | "backing-off" | "stopping" | "stopped";

/** Something that builds a client WebSocket (the `ws` class, or a compatible one in tests). */
export type WebSocketConstructor = new (url: string, options?: { handshakeTimeout?: number }) => WebSocket;

/** Listener of state changes. */
export type StateListener = (state: StreamState, previous: StreamState) => void;

/** Settings of {@link StreamConnection}, fully resolved by the transport. */
export interface StreamConnectionOptions {
  /** Calls the gateway for a fresh ticket. */
  openTicket(signal: AbortSignal): Promise<GatewayTicket>;
  WebSocket: WebSocketConstructor;
  backoff: Backoff;
  /** Interval of WebSocket-level pings; a socket without a pong (or any frame) since the last one is cut. */
  keepAliveMs: number;
  /** A connection open at least this long counts as healthy: the backoff starts again from its first step. */
  healthyAfterMs: number;
  /** How long a socket that got a SYSTEM disconnect stays open for late acks before we close it. */
  retireGraceMs: number;
  /** Longest gateway call and longest WebSocket handshake; a hung attempt counts as failed. */
  connectTimeoutMs: number;
  now(): number;
  logger: Logger;
  /** Builds the WebSocket URL from the gateway's answer. */
  socketUrl(ticket: GatewayTicket): string;
  /** Receives every text frame, with the link it came on (to answer on it). */
  onFrame(text: string, link: Link): void;
}

/** One WebSocket and its bookkeeping. */
export class Link {
  /** Epoch ms of the `open` event, 0 before. */
  openedAt = 0;
  /** Saw a pong or a frame since the last keepalive ping. */
  alive = true;
  keepAlive: NodeJS.Timeout | undefined;
  retireTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly owner: StreamConnection,
  ) {}

  #corked = false;

  /** Sends on this socket, or on the current one if this one has closed (acks are matched by messageId). */
  send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      this.owner.sendOnCurrent(text);
      return;
    }
    this.#cork();
    this.ws.send(text);
  }

  /**
   * Batches the acks of one burst into one TCP write: frames read in one chunk are handled in one tick,
   * so corking until the next tick turns N small writes (N syscalls, N segments for the server to read)
   * into one. `ws` has no public cork, so this reaches for its socket and does nothing if it is absent.
   */
  #cork(): void {
    if (this.#corked) return;
    const raw = (this.ws as unknown as { _socket?: { cork?(): void; uncork?(): void } })._socket;
    if (!raw?.cork || !raw.uncork) return;
    this.#corked = true;
    raw.cork();
    process.nextTick(() => {
      this.#corked = false;
      raw.uncork?.();
    });
  }

  /** The server announced it will close this socket: move to a new one. */
  retire(): void {
    this.owner.retire(this);
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
  settled: boolean;
}

function deferred(): Deferred {
  const d = { settled: false } as Deferred;
  d.promise = new Promise<void>((resolve, reject) => {
    d.resolve = () => {
      d.settled = true;
      resolve();
    };
    d.reject = (error) => {
      d.settled = true;
      reject(error);
    };
  });
  // Callers may not await both promises; a rejection must not crash the process unobserved.
  d.promise.catch(() => {});
  return d;
}

/** The Stream client's connection lifecycle. */
export class StreamConnection {
  #state: StreamState = "idle";
  readonly #listeners = new Set<StateListener>();
  #current: Link | undefined;
  readonly #retiring = new Set<Link>();
  #timer: NodeJS.Timeout | undefined;
  readonly #abort = new AbortController();
  #reconnects = 0;
  readonly #opened = deferred();
  readonly #finished = deferred();

  constructor(private readonly options: StreamConnectionOptions) {}

  /** The current state. */
  get state(): StreamState {
    return this.#state;
  }

  /** Reconnects scheduled so far. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Settles when the connection stops: resolves after {@link close}, rejects with the fatal error. */
  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts connecting.
   * @returns resolves once the first socket is open (or when stopped before that)
   * @throws AuthError or StreamConnectError when the gateway refuses the credentials or the request
   */
  start(): Promise<void> {
    if (this.#state !== "idle") throw new Error("the stream connection was already started");
    void this.#connect();
    return this.#opened.promise;
  }

  /** Stops taking frames and reconnecting; sockets stay open until {@link close} so acks can still go out. */
  beginStop(): void {
    if (this.#state === "stopping" || this.#state === "stopped") return;
    this.#setState("stopping");
    clearTimeout(this.#timer);
    this.#abort.abort();
  }

  /** Whether new frames should be refused (stopping or stopped). */
  get closing(): boolean {
    return this.#state === "stopping" || this.#state === "stopped";
  }

  /** Closes every socket and ends in `stopped`. */
  async close(): Promise<void> {
    this.beginStop();
    if (this.#state === "stopped") return;
    const links = [...this.#retiring, ...(this.#current ? [this.#current] : [])];
    this.#retiring.clear();
    this.#current = undefined;
    await Promise.all(links.map((link) => closeLink(link)));
    this.#setState("stopped");
    if (!this.#opened.settled) this.#opened.resolve();
    this.#finished.resolve();
  }

  /** Sends on the current socket if it is open (used for acks whose own socket is gone). */
  sendOnCurrent(text: string): void {
    const ws = this.#current?.ws;
    if (ws && ws.readyState === ws.OPEN) ws.send(text);
  }

  /** Moves off a socket the server is about to close: a new socket now, the old one closes after a grace. */
  retire(link: Link): void {
    if (link !== this.#current || this.closing) return;
    this.#current = undefined;
    this.#retiring.add(link);
    clearInterval(link.keepAlive);
    link.retireTimer = setTimeout(() => link.ws.close(1000, "retired"), this.options.retireGraceMs);
    link.retireTimer.unref();
    const healthy = this.options.now() - link.openedAt >= this.options.healthyAfterMs;
    // A server that says "disconnect" right after every connect must not make us spin.
    this.#scheduleReconnect(healthy ? 0 : undefined);
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    if (this.closing) return;
    this.#setState("connecting");
    let ticket: GatewayTicket;
    try {
      const signal = AbortSignal.any([
        this.#abort.signal,
        AbortSignal.timeout(this.options.connectTimeoutMs),
      ]);
      ticket = await this.options.openTicket(signal);
    } catch (error) {
      if (this.closing) return;
      if (isUnrecoverable(error)) return this.#fail(error);
      this.options.logger.warn({ err: errorText(error) }, "stream gateway call failed; retrying");
      return this.#scheduleReconnect();
    }
    if (this.closing) return;
    let ws: WebSocket;
    try {
      ws = new this.options.WebSocket(this.options.socketUrl(ticket), {
        handshakeTimeout: this.options.connectTimeoutMs,
      });
    } catch (error) {
      this.options.logger.warn({ err: errorText(error) }, "stream socket could not be created; retrying");
      return this.#scheduleReconnect();
    }
    const link = new Link(ws, this);
    this.#current = link;
    ws.on("open", () => this.#onOpen(link));
    ws.on("message", (data: RawData, isBinary: boolean) => {
      link.alive = true;
      if (!isBinary && !this.closing) this.options.onFrame(data.toString(), link);
    });
    ws.on("pong", () => {
      link.alive = true;
    });
    // Never log the URL: it carries the ticket.
    ws.on("error", (error) => this.#lost(link, error));
    ws.on("close", () => this.#lost(link));
  }

  #onOpen(link: Link): void {
    if (this.closing || link !== this.#current) {
      link.ws.close(1000, "not needed");
      return;
    }
    link.openedAt = this.options.now();
    this.#setState("open");
    this.options.logger.info({}, "stream connection open");
    link.keepAlive = setInterval(() => {
      if (!link.alive) {
        this.options.logger.warn({}, "stream socket missed its keepalive pong; cutting it");
        link.ws.terminate();
        return;
      }
      link.alive = false;
      link.ws.ping();
    }, this.options.keepAliveMs);
    if (!this.#opened.settled) this.#opened.resolve();
  }

  /** The one place a lost socket is handled; only the current socket's first report counts. */
  #lost(link: Link, error?: Error): void {
    clearInterval(link.keepAlive);
    if (this.#retiring.delete(link)) {
      clearTimeout(link.retireTimer);
      return;
    }
    if (link !== this.#current) return;
    this.#current = undefined;
    if (link.ws.readyState !== link.ws.CLOSED) link.ws.terminate();
    if (this.closing) return;
    this.options.logger.warn(error ? { err: errorText(error) } : {}, "stream socket lost; reconnecting");
    if (link.openedAt && this.options.now() - link.openedAt >= this.options.healthyAfterMs) {
      this.options.backoff.reset();
    }
    this.#scheduleReconnect();
  }

  /** Schedules the next connect after `delayMs` (default: the backoff's next delay), once. */
  #scheduleReconnect(delayMs?: number): void {
    if (this.#state === "backing-off" || this.closing) return;
    const delay = delayMs ?? this.options.backoff.next();
    this.#reconnects += 1;
    this.#setState("backing-off");
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  #fail(error: unknown): void {
    this.options.logger.error({ err: errorText(error) }, "stream connection refused; not retrying");
    this.beginStop();
    for (const link of this.#retiring) link.ws.terminate();
    this.#retiring.clear();
    this.#setState("stopped");
    if (!this.#opened.settled) this.#opened.reject(error);
    this.#finished.reject(error);
  }

  #setState(next: StreamState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        this.options.logger.warn({ err: errorText(error) }, "a stream state listener threw");
      }
    }
  }
}

/** Closes a socket politely, and cuts it if the peer does not finish the close handshake in 1 s. */
function closeLink(link: Link): Promise<void> {
  clearInterval(link.keepAlive);
  clearTimeout(link.retireTimer);
  const { ws } = link;
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => ws.terminate(), 1000);
    ws.once("close", () => {
      clearTimeout(cut);
      resolve();
    });
    if (ws.readyState === ws.CONNECTING) ws.terminate();
    else ws.close(1000, "client stopping");
  });
}

function errorText(error: unknown): string {
  // ws puts the whole URL, ticket included, into some of its messages.
  return redactText(error instanceof Error ? error.message : String(error));
}
