/**
 * The emulator's Stream hub: live connections per app, CALLBACK/EVENT pushes with ack tracking and
 * redelivery, SYSTEM pings, and the faults of the control API.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import {
  CARD_CALLBACK_TOPIC,
  formatIssues,
  parseJson,
  ROBOT_MESSAGE_TOPIC,
  readInboundMessage,
} from "dingbot-sdk/protocol";
import type { RawData, WebSocket } from "ws";
import type { DeliveryResult, StreamHub } from "../delivery-result.js";
import type { ResolvedEmulatorOptions } from "../options.js";
import type { EmulatorStore } from "../store.js";
import {
  cardCallbackFrame,
  disconnectFrame,
  type EventInput,
  eventFrame,
  MAX_FRAME_BYTES,
  newMessageId,
  pingFrame,
  robotCallbackFrame,
} from "./frames.js";
import { type ConnectionInfo, ServerConnection } from "./server-connection.js";
import type { TicketRecord } from "./tickets.js";

/** How `POST /_emulator/stream/disconnect` ends connections. */
export type DisconnectHow = "frame" | "drop" | "silence";

/** Outcome of an EVENT push. */
export interface EventDeliveryResult extends DeliveryResult {
  /** `SUCCESS` or `LATER`, as the client answered. */
  status?: string;
  messageId?: string;
  /** The ack's `data` (a card callback's answer travels in it), when the client sent one. */
  ackData?: unknown;
}

/** An unacknowledged push. */
interface Pending {
  messageId: string;
  appKey: string;
  type: "CALLBACK" | "EVENT";
  topic: string;
  text: string;
  attempts: number;
  /** Most sends of this push: 1 for a robot message unless `redeliverCallbacks` is on. */
  maxDeliveries: number;
  giveUpAt: number;
  /** How long to wait for the ack before resending or giving up (default `redeliverAfterMs`). */
  waitMs?: number;
  sentOn: ServerConnection | null;
  timer: NodeJS.Timeout | undefined;
  finish: (result: EventDeliveryResult) => void;
}

/** The Stream side of one emulator (implements the {@link StreamHub} the delivery code calls). */
export class StreamServer implements StreamHub {
  readonly #connections = new Map<string, ServerConnection[]>();
  readonly #roundRobin = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();
  readonly #appIds = new Map<string, string>();
  #closed = false;

  readonly #store: EmulatorStore;
  readonly #options: ResolvedEmulatorOptions;

  constructor(store: EmulatorStore, options: ResolvedEmulatorOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Takes over a socket whose handshake spent a valid ticket. */
  attach(socket: WebSocket, raw: Duplex, ticket: TicketRecord): ServerConnection {
    const conn = new ServerConnection(socket, raw, ticket, this.#options.now());
    const list = this.#connections.get(conn.appKey) ?? [];
    list.push(conn);
    this.#connections.set(conn.appKey, list);
    socket.on("message", (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.#onClientFrame(conn, data);
    });
    socket.on("close", () => this.#detach(conn));
    // A client that vanishes mid-frame emits an error before close; close does the cleanup.
    socket.on("error", () => {});
    conn.pingTimer = setInterval(() => this.#ping(conn), this.#options.pingIntervalMs);
    conn.pingTimer.unref();
    this.#flushWaiting(conn.appKey);
    return conn;
  }

  /** {@inheritDoc StreamHub.pushRobotMessage} */
  pushRobotMessage(appKey: string, body: Record<string, unknown>): Promise<DeliveryResult> {
    // Never emit what real DingTalk would not: the body must pass the inbound schema.
    const checked = readInboundMessage(body);
    if (!checked.ok) {
      return Promise.resolve({
        delivered: false,
        attempts: 0,
        error: `invalid robot-message body: ${formatIssues(checked.issues)}`,
      });
    }
    const now = this.#options.now();
    const messageId = newMessageId(now);
    const frame = robotCallbackFrame(messageId, this.#appId(appKey), now, body);
    return this.#push(appKey, "CALLBACK", ROBOT_MESSAGE_TOPIC, messageId, JSON.stringify(frame));
  }

  /**
   * Pushes a card callback (CALLBACK on `/v1.0/card/instances/callback`) to one of the app's connections
   * subscribed to it, sent once; resolves with the ack (its `data` holds the bot's answer), or undelivered
   * when no connection takes card callbacks or none acks within `waitMs`. A press on a card is not kept
   * for a bot that is offline: the person sees it fail at once.
   */
  pushCardCallback(
    appKey: string,
    body: Record<string, unknown>,
    waitMs: number,
  ): Promise<EventDeliveryResult> {
    const takers = (this.#connections.get(appKey) ?? []).filter(
      (c) => c.usable && c.subscribes("CALLBACK", CARD_CALLBACK_TOPIC),
    );
    if (takers.length === 0) {
      return Promise.resolve({
        delivered: false,
        attempts: 0,
        error: `no Stream connection of this app subscribes to ${CARD_CALLBACK_TOPIC}`,
      });
    }
    const now = this.#options.now();
    const messageId = newMessageId(now);
    const frame = cardCallbackFrame(messageId, this.#appId(appKey), now, body);
    return this.#push(appKey, "CALLBACK", CARD_CALLBACK_TOPIC, messageId, JSON.stringify(frame), waitMs);
  }

  /** Pushes an EVENT frame to one connection subscribed to events; resolves with the client's status. */
  pushEvent(
    appKey: string,
    input: Omit<EventInput, "corpId" | "unifiedAppId">,
  ): Promise<EventDeliveryResult> {
    const now = this.#options.now();
    const messageId = newMessageId(now);
    const app = this.#store.apps.get(appKey);
    const frame = eventFrame(messageId, now, {
      ...input,
      corpId: app?.corpId ?? "dingemulatorcorp",
      unifiedAppId: this.#appId(appKey),
    });
    return this.#push(appKey, "EVENT", input.eventType, messageId, JSON.stringify(frame));
  }

  /** {@inheritDoc StreamHub.isConnected} */
  isConnected(appKey: string): boolean {
    return (this.#connections.get(appKey) ?? []).some((c) => c.usable);
  }

  /** Snapshots of the live connections, optionally of one app. */
  listConnections(appKey?: string): ConnectionInfo[] {
    const lists = appKey ? [this.#connections.get(appKey) ?? []] : [...this.#connections.values()];
    return lists.flat().map((c) => c.info());
  }

  /**
   * Ends an app's connections: `frame` sends SYSTEM disconnect and closes after the grace period,
   * `drop` destroys the socket without a close frame, `silence` stops reading and writing (a half-open link).
   * @returns how many connections were affected
   */
  disconnect(appKey: string, how: DisconnectHow, connectionId?: string): number {
    const targets = (this.#connections.get(appKey) ?? []).filter(
      (c) => connectionId === undefined || c.id === connectionId,
    );
    for (const conn of targets) {
      if (how === "drop") conn.socket.terminate();
      else if (how === "silence") {
        conn.silenced = true;
        conn.raw.pause();
      } else this.#retire(conn);
    }
    return targets.length;
  }

  /** Drops every connection and settles every pending push (the store was reset: its apps are gone). */
  reset(): void {
    this.#dropAll("emulator reset");
  }

  /** Closes every connection and settles every pending push. */
  close(): void {
    this.#closed = true;
    this.#dropAll("emulator closed");
  }

  #dropAll(reason: string): void {
    for (const list of this.#connections.values()) {
      for (const conn of list) {
        conn.dispose();
        conn.socket.terminate();
      }
    }
    this.#connections.clear();
    for (const pending of [...this.#pending.values()]) {
      this.#settle(pending, { delivered: false, attempts: pending.attempts, error: reason });
    }
  }

  #push(
    appKey: string,
    type: Pending["type"],
    topic: string,
    messageId: string,
    text: string,
    waitMs?: number,
  ): Promise<EventDeliveryResult> {
    if (Buffer.byteLength(text) >= MAX_FRAME_BYTES) {
      return Promise.resolve({ delivered: false, attempts: 0, error: "frame exceeds 256 KiB" });
    }
    if (this.#closed) return Promise.resolve({ delivered: false, attempts: 0, error: "emulator closed" });
    const { redeliverAfterMs, streamMaxDeliveries, redeliverCallbacks } = this.#options;
    // DingTalk's protocol doc says robot messages are not pushed again; events are (see protocol-decisions.md).
    const maxDeliveries =
      waitMs !== undefined ? 1 : type === "CALLBACK" && !redeliverCallbacks ? 1 : streamMaxDeliveries;
    return new Promise((finish) => {
      const pending: Pending = {
        messageId,
        appKey,
        type,
        topic,
        text,
        attempts: 0,
        maxDeliveries,
        giveUpAt: Date.now() + (waitMs ?? redeliverAfterMs * streamMaxDeliveries),
        ...(waitMs !== undefined ? { waitMs } : {}),
        sentOn: null,
        timer: undefined,
        finish,
      };
      this.#pending.set(messageId, pending);
      this.#send(pending);
      this.#arm(pending);
    });
  }

  /** Sends a pending push to one usable connection (round-robin); false when there is none. */
  #send(pending: Pending): boolean {
    const candidates = (this.#connections.get(pending.appKey) ?? []).filter(
      (c) => c.usable && c.subscribes(pending.type, pending.topic),
    );
    if (candidates.length === 0) {
      pending.sentOn = null;
      return false;
    }
    const turn = (this.#roundRobin.get(pending.appKey) ?? 0) % candidates.length;
    this.#roundRobin.set(pending.appKey, turn + 1);
    const conn = candidates[turn] as ServerConnection;
    conn.send(pending.text);
    pending.attempts += 1;
    pending.sentOn = conn;
    return true;
  }

  /** Redelivery timer: resend an unacked push, or give up after the last attempt. */
  #arm(pending: Pending): void {
    pending.timer = setTimeout(() => {
      // A push that found no connection keeps waiting for one until giveUpAt, whatever its maximum.
      if (pending.attempts >= pending.maxDeliveries || Date.now() >= pending.giveUpAt) {
        const error =
          pending.attempts === 0
            ? "no stream connection for this app"
            : `not acknowledged after ${pending.attempts} deliveries`;
        this.#settle(pending, { delivered: false, attempts: pending.attempts, error });
        return;
      }
      this.#send(pending);
      this.#arm(pending);
    }, pending.waitMs ?? this.#options.redeliverAfterMs);
    pending.timer.unref();
  }

  /** Sends pushes that found no connection as soon as one opens. */
  #flushWaiting(appKey: string): void {
    for (const pending of this.#pending.values()) {
      if (pending.appKey === appKey && pending.sentOn === null && this.#send(pending)) {
        // The ack wait starts now, not at the timer set while there was no connection.
        clearTimeout(pending.timer);
        this.#arm(pending);
      }
    }
  }

  #settle(pending: Pending, result: EventDeliveryResult): void {
    clearTimeout(pending.timer);
    this.#pending.delete(pending.messageId);
    pending.finish(result);
  }

  #onClientFrame(conn: ServerConnection, data: RawData): void {
    const ack = parseAck(data);
    if (!ack) return; // Unknown or malformed frames are ignored, as a tolerant server would.
    if (ack.messageId === conn.pendingPing) {
      conn.pendingPing = null;
      conn.missedPings = 0;
      conn.lastPongAt = this.#options.now();
      return;
    }
    const pending = this.#pending.get(ack.messageId);
    if (!pending || pending.appKey !== conn.appKey) return;
    const result: EventDeliveryResult = {
      delivered: true,
      attempts: pending.attempts,
      messageId: pending.messageId,
    };
    if (pending.type === "EVENT") {
      const status = parseStatus(ack.data);
      if (status) result.status = status;
    } else if (pending.topic === CARD_CALLBACK_TOPIC && ack.data !== undefined) {
      result.ackData = ack.data;
    }
    if (ack.code !== 200) result.error = `client acknowledged with code ${ack.code}`;
    this.#settle(pending, result);
  }

  #ping(conn: ServerConnection): void {
    if (conn.silenced) return;
    if (conn.pendingPing !== null) {
      conn.missedPings += 1;
      if (conn.missedPings >= this.#options.streamMaxMissedPings) {
        // The peer stopped echoing pings: treat it as dead, as the gateway would.
        conn.socket.terminate();
        return;
      }
    }
    const now = this.#options.now();
    const frame = pingFrame(now);
    conn.pendingPing = frame.headers.messageId ?? null;
    conn.lastPingAt = now;
    conn.send(frame);
  }

  #retire(conn: ServerConnection): void {
    if (conn.retiring) return;
    conn.retiring = true;
    conn.send(disconnectFrame(this.#options.now()));
    conn.closeTimer = setTimeout(
      () => conn.socket.close(1000, "disconnect"),
      this.#options.disconnectGraceMs,
    );
    conn.closeTimer.unref();
  }

  #detach(conn: ServerConnection): void {
    conn.dispose();
    const list = (this.#connections.get(conn.appKey) ?? []).filter((c) => c !== conn);
    if (list.length) this.#connections.set(conn.appKey, list);
    else this.#connections.delete(conn.appKey);
  }

  /** A stable per-app id for `headers.appId`, as DingTalk sends a UUID there. */
  #appId(appKey: string): string {
    let id = this.#appIds.get(appKey);
    if (!id) {
      id = randomUUID();
      this.#appIds.set(appKey, id);
    }
    return id;
  }
}

/** The fields of an ack the server needs; null when the frame is not an ack. Extra keys are fine. */
function parseAck(data: RawData): { messageId: string; code: number; data: unknown } | null {
  // Nesting is capped: a hostile client must not exhaust the stack with a deeply nested frame.
  const parsed = parseJson(data.toString());
  if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) return null;
  const frame = parsed.value as { code?: unknown; headers?: { messageId?: unknown }; data?: unknown };
  const messageId = frame.headers?.messageId;
  if (typeof messageId !== "string") return null;
  return { messageId, code: typeof frame.code === "number" ? frame.code : 200, data: frame.data };
}

/** `status` of an EVENT ack's data (`{"status":"SUCCESS"}`), if readable. */
function parseStatus(data: unknown): string | undefined {
  if (typeof data !== "string") return undefined;
  const parsed = parseJson(data);
  const value = parsed.ok ? (parsed.value as { status?: unknown } | null) : null;
  return typeof value?.status === "string" ? value.status : undefined;
}
