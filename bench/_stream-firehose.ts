// A Stream gateway that only pushes, for bench/stream.mjs: in its own process, it answers the gateway's
// POST /v1.0/gateway/connections/open with its own WebSocket URL, and on the client's socket pushes
// pre-built CALLBACK frames (the emulator's own frame builder, so the clients read the same bytes) keeping
// at most `window` unacknowledged, checking every ack (JSON, code 200, a messageId it sent, once).
// Why: the emulator spends ~20–28 µs per push (validation, frame building, two JSON.stringify, redelivery
// bookkeeping), more than either client spends per message, so a throughput ratio measured through it is the
// emulator's rate twice. Here the WebSocket frames are encoded before the clock starts, into one buffer, and a
// turn's pushes are one socket write of a slice of it.
// The parent drives it over IPC: {run: {messages, window, chatbotUserId, robotCode}} → {seconds, cpuUs, bad}.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { newMessageId, robotCallbackFrame } from "../packages/dingbot-tools/src/emulator/stream/frames.js";
import { benchRobotMessage } from "./_stream-message.js";

interface Run {
  messages: number;
  window: number;
  chatbotUserId: string;
  robotCode: string;
}

/** The newest client socket not yet used by a run: each run is a fresh client process. */
let fresh: WebSocket | undefined;
let connected: (() => void) | undefined;
const http = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const { port } = http.address() as AddressInfo;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: randomBytes(8).toString("hex") }),
    );
  });
});
const wss = new WebSocketServer({ server: http, path: "/connect" });
wss.on("connection", (ws) => {
  fresh = ws;
  connected?.();
});
http.listen(0, "127.0.0.1", () => {
  process.send?.({ baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
});

/** A server-to-client WebSocket text frame (FIN, opcode 1, unmasked), RFC 6455 section 5.2. */
function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = Buffer.alloc(n < 126 ? 2 : n < 65_536 ? 4 : 10);
  head[0] = 0x81;
  if (n < 126) head[1] = n;
  else if (n < 65_536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/**
 * The frames of one run, built before it starts, one distinct msgId and messageId each: all of them in one
 * buffer, frame i at offsets[i].
 */
function buildFrames(run: Run): { bytes: Buffer; offsets: number[]; ids: Set<string> } {
  const frames: Buffer[] = [];
  const offsets = [0];
  const ids = new Set<string>();
  const now = Date.now();
  for (let i = 0; i < run.messages; i++) {
    const messageId = newMessageId(now);
    ids.add(messageId);
    const body = benchRobotMessage(i, run, "http://127.0.0.1");
    const frame = textFrame(
      Buffer.from(JSON.stringify(robotCallbackFrame(messageId, "bench-app", now, body))),
    );
    frames.push(frame);
    offsets.push((offsets.at(-1) as number) + frame.length);
  }
  return { bytes: Buffer.concat(frames), offsets, ids };
}

async function runOnce(run: Run): Promise<{ seconds: number; cpuUs: number; bad: number }> {
  if (!fresh) await new Promise<void>((resolve) => (connected = resolve));
  const ws = fresh as WebSocket;
  fresh = undefined;
  const { bytes, offsets, ids } = buildFrames(run);
  // The frames go straight onto the TCP socket. ws writes only whole frames of its own there (a pong to a
  // client's ping), so the two never interleave inside a frame.
  const raw = (ws as unknown as { _socket: import("node:net").Socket })._socket;
  let sent = 0;
  let acked = 0;
  let bad = 0;
  let scheduled = false;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    // Once per turn, after that turn's acks: the window's free slots, as one write.
    const pump = (): void => {
      scheduled = false;
      const upTo = Math.min(acked + run.window, run.messages);
      if (upTo <= sent) return;
      raw.write(bytes.subarray(offsets[sent], offsets[upTo]));
      sent = upTo;
    };
    const onAck = (data: RawData): void => {
      let ack: { code?: unknown; headers?: { messageId?: unknown } } | undefined;
      try {
        ack = JSON.parse(data.toString());
      } catch {
        ack = undefined;
      }
      const id = ack?.headers?.messageId;
      if (ack?.code !== 200 || typeof id !== "string" || !ids.delete(id)) bad += 1;
      acked += 1;
      if (acked === run.messages) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const used = process.cpuUsage(cpu);
        ws.off("message", onAck);
        resolve({ seconds, cpuUs: used.user + used.system, bad: bad + ids.size });
      } else if (!scheduled) {
        scheduled = true;
        process.nextTick(pump);
      }
    };
    ws.on("message", onAck);
    pump();
  });
}

process.on("message", (msg: { run?: Run; exit?: true }) => {
  if (msg.exit) process.exit(0);
  if (msg.run) void runOnce(msg.run).then((result) => process.send?.(result));
});
