/**
 * The state machine with fake timers and a fake WebSocket (design.md B11): the official SDK's storm
 * regression, unrecoverable credentials, and the healthy-period backoff reset.
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthError } from "../../../errors.js";
import { silentLogger } from "../../../logger.js";
import { Backoff } from "./backoff.js";
import { StreamConnection, type StreamConnectionOptions, type WebSocketConstructor } from "./connection.js";

type Behaviour = "refuse" | "open";

/** A stand-in for `ws`: either fails the handshake (error, then close) or opens. */
interface FakeSocketLike {
  terminate(): void;
}

function fakeWebSocket(behaviours: Behaviour[]): { ctor: WebSocketConstructor; sockets: FakeSocketLike[] } {
  const sockets: FakeSocketLike[] = [];
  class FakeSocket extends EventEmitter {
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSED = 3;
    readyState = 0;
    constructor(readonly url: string) {
      super();
      sockets.push(this);
      const behaviour = behaviours.shift() ?? "open";
      queueMicrotask(() => {
        if (behaviour === "refuse") {
          this.readyState = 3;
          this.emit("error", new Error("Unexpected server response: 401"));
          this.emit("close", 1006);
        } else {
          this.readyState = 1;
          this.emit("open");
        }
      });
    }
    send(): void {}
    ping(): void {}
    close(): void {
      this.terminate();
    }
    terminate(): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      queueMicrotask(() => this.emit("close", 1006));
    }
  }
  return { ctor: FakeSocket as unknown as WebSocketConstructor, sockets };
}

function options(overrides: Partial<StreamConnectionOptions>): StreamConnectionOptions {
  return {
    openTicket: async () => ({ endpoint: "ws://127.0.0.1:1/connect", ticket: "t" }),
    WebSocket: fakeWebSocket([]).ctor,
    backoff: new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 0.5 }),
    keepAliveMs: 60_000,
    healthyAfterMs: 10_000,
    retireGraceMs: 10_000,
    connectTimeoutMs: 10_000,
    now: () => Date.now(),
    logger: silentLogger,
    socketUrl: (t) => `${t.endpoint}?ticket=${t.ticket}`,
    onFrame: () => {},
    ...overrides,
  };
}

describe("StreamConnection", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("schedules exactly one reconnect when a handshake error is followed by close", async () => {
    const openTicket = vi.fn(async () => ({ endpoint: "ws://127.0.0.1:1/connect", ticket: "t" }));
    const { ctor, sockets } = fakeWebSocket(["refuse", "open"]);
    const connection = new StreamConnection(options({ openTicket, WebSocket: ctor }));
    const started = connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets).toHaveLength(1);
    expect(connection.reconnects).toBe(1);
    expect(connection.state).toBe("backing-off");
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await started;
    expect(openTicket).toHaveBeenCalledTimes(2);
    expect(sockets).toHaveLength(2);
    expect(connection.state).toBe("open");
    await connection.close();
  });

  it("grows the delay between failed attempts instead of retrying every second", async () => {
    const { ctor, sockets } = fakeWebSocket(["refuse", "refuse", "refuse", "refuse"]);
    const connection = new StreamConnection(options({ WebSocket: ctor }));
    void connection.start();
    await vi.advanceTimersByTimeAsync(0);
    // Delays with random 0.5: 750, 1500, 3000 ms.
    await vi.advanceTimersByTimeAsync(750);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1499);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);
    await connection.close();
  });

  it("stops on refused credentials instead of looping", async () => {
    const refusal = new AuthError({
      status: 401,
      apiCode: "authFailed",
      errmsg: "鉴权失败",
      endpoint: "POST /v1.0/gateway/connections/open",
      kind: "config",
    });
    const openTicket = vi.fn(async () => {
      throw refusal;
    });
    const connection = new StreamConnection(options({ openTicket }));
    await expect(connection.start()).rejects.toBe(refusal);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(openTicket).toHaveBeenCalledTimes(1);
    expect(connection.state).toBe("stopped");
    await expect(connection.finished).rejects.toBe(refusal);
  });

  it("resets the backoff after a connection that stayed open for the healthy period", async () => {
    const backoff = new Backoff({ initialMs: 1000, random: () => 0.5 });
    const { ctor, sockets } = fakeWebSocket(["refuse", "refuse", "open", "open"]);
    const connection = new StreamConnection(options({ WebSocket: ctor, backoff }));
    void connection.start();
    await vi.advanceTimersByTimeAsync(750 + 1500);
    expect(connection.state).toBe("open");
    expect(backoff.attempt).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    sockets.at(-1)?.terminate();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.state).toBe("backing-off");
    expect(backoff.attempt).toBe(1);
    await connection.close();
  });
});
