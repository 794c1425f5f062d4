/**
 * One client connection on the emulator's Stream server: the socket, what it subscribed to, and its
 * SYSTEM-ping bookkeeping.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { ServerFrame } from "./frames.js";
import type { TicketRecord } from "./tickets.js";

/** What `GET /_emulator/stream/connections` shows about a connection. */
export interface ConnectionInfo {
  id: string;
  appKey: string;
  /** Epoch ms. */
  openedAt: number;
  ua: string;
  /** Epoch ms of the last SYSTEM ping sent, if any. */
  lastPingAt: number | null;
  /** Epoch ms of the last echoed SYSTEM ping, if any. */
  lastPongAt: number | null;
  /** Set once a SYSTEM disconnect was sent: no more pushes go here. */
  retiring: boolean;
  subscriptions: Array<{ type: string; topic: string }>;
}

/** A live client connection. */
export class ServerConnection {
  readonly id = randomUUID();
  readonly openedAt: number;
  lastPingAt: number | null = null;
  lastPongAt: number | null = null;
  /** messageId of the SYSTEM ping awaiting its echo. */
  pendingPing: string | null = null;
  missedPings = 0;
  retiring = false;
  /** Set by the "silence" fault: the server neither reads nor writes, like a half-open TCP link. */
  silenced = false;
  pingTimer: NodeJS.Timeout | undefined;
  closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: WebSocket,
    /** The raw TCP socket, kept so a fault can stop reading from it. */
    readonly raw: Duplex,
    readonly ticket: TicketRecord,
    now: number,
  ) {
    this.openedAt = now;
  }

  get appKey(): string {
    return this.ticket.appKey;
  }

  /** Whether the client subscribed to this type and topic (EVENT `*` matches every event). */
  subscribes(type: string, topic: string): boolean {
    return this.ticket.subscriptions.some(
      (s) => s.type === type && (s.topic === topic || (type === "EVENT" && s.topic === "*")),
    );
  }

  /** Whether pushes may go here. */
  get usable(): boolean {
    return !this.retiring && !this.silenced && this.socket.readyState === this.socket.OPEN;
  }

  /** Writes a frame; false when the socket is no longer open. */
  send(frame: ServerFrame | string): boolean {
    if (this.silenced || this.socket.readyState !== this.socket.OPEN) return false;
    this.#cork();
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    return true;
  }

  #corked = false;

  /** Frames pushed in one tick leave in one TCP write instead of one write each (a burst of pushes). */
  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    const raw = this.raw as Duplex & { cork?(): void; uncork?(): void };
    raw.cork?.();
    process.nextTick(() => {
      this.#corked = false;
      raw.uncork?.();
    });
  }

  /** Stops timers. */
  dispose(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.closeTimer);
  }

  /** A snapshot for the control API. */
  info(): ConnectionInfo {
    return {
      id: this.id,
      appKey: this.appKey,
      openedAt: this.openedAt,
      ua: this.ticket.ua,
      lastPingAt: this.lastPingAt,
      lastPongAt: this.lastPongAt,
      retiring: this.retiring,
      subscriptions: this.ticket.subscriptions,
    };
  }
}
