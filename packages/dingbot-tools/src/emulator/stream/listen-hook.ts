/**
 * Attaches the Stream WebSocket (`/connect?ticket=…`) to the emulator's HTTP server when it listens,
 * and publishes the hub as `ctx.stream` while it listens.
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { OnListenHook } from "../context.js";
import { MAX_FRAME_BYTES } from "./frames.js";
import { StreamServer } from "./hub.js";
import type { TicketRefusal } from "./tickets.js";

/** Path of the Stream WebSocket, as the SDKs expect it (Java rebuilds the URL with this path). */
export const STREAM_CONNECT_PATH = "/connect";

const REFUSAL_TEXT: Record<TicketRefusal, string> = {
  missing: "ticket is required",
  unknown: "ticket is not valid",
  used: "ticket was already used",
  expired: "ticket has expired",
};

/** Answers a refused handshake with HTTP 401 and a short JSON reason, then closes the socket. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  // node:http removes its own error listener from upgrade sockets: a client that resets the connection
  // before reading this answer would otherwise throw from the emulator's process and kill it.
  socket.on("error", () => socket.destroy());
  const body = JSON.stringify({ code, message });
  const reason = status === 401 ? "Unauthorized" : "Not Found";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The listen hook registered in routes/index.ts. */
export const streamListenHook: OnListenHook = (server, ctx) => {
  const hub = new StreamServer(ctx.store, ctx.options);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    if (url.pathname !== STREAM_CONNECT_PATH) {
      // Another module may own this path; answer only when nobody else listens.
      if (server.listenerCount("upgrade") === 1)
        refuse(socket, 404, "InvalidAction.NotFound", "no WebSocket here");
      return;
    }
    const redeemed = ctx.tickets.redeem(url.searchParams.get("ticket"));
    if (!redeemed.ok) {
      refuse(socket, 401, "invalidTicket", REFUSAL_TEXT[redeemed.reason]);
      return;
    }
    if (!ctx.store.apps.has(redeemed.record.appKey)) {
      // The app was deleted (reset) after the ticket was issued.
      refuse(socket, 401, "invalidTicket", REFUSAL_TEXT.unknown);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, socket, redeemed.record));
  };
  server.on("upgrade", onUpgrade);
  const onReset = (): void => hub.reset();
  ctx.store.events.on("reset", onReset);
  ctx.stream = hub;
  return () =>
    new Promise<void>((resolve) => {
      server.off("upgrade", onUpgrade);
      ctx.store.events.off("reset", onReset);
      hub.close();
      if (ctx.stream === hub) ctx.stream = undefined;
      wss.close(() => resolve());
    });
};
