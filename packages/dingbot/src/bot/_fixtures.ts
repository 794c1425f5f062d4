/**
 * Inbound messages, updates and a recording responder for the bot's own tests (internal, not exported).
 * @module
 */
import { ROBOT_MESSAGE_TOPIC } from "../protocol/constants.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import type { ReplyBody, Responder, Update } from "./transports/transport.js";

/** A fixed clock for tests: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

let counter = 0;

/** Seed 001's group text message, with a fresh msgId and optional overrides. */
export function groupText(content: string, overrides: Record<string, unknown> = {}): InboundMessage {
  counter += 1;
  return {
    conversationId: "cidAsXSBLnA==",
    atUsers: [{ dingtalkId: "$:LWCP_v1:$4xTgHFUDZ8Qi8qr3" }],
    chatbotCorpId: "ding9f50b15bccd16741",
    chatbotUserId: "$:LWCP_v1:$4xTgHFUDZ8Qi8qr3",
    msgId: `msgFixture${counter}==`,
    senderNick: "楊xx",
    isAdmin: true,
    senderStaffId: "user123",
    sessionWebhookExpiredTime: T0 + 5_400_000,
    createAt: T0,
    senderCorpId: "ding9f50b15bccd16741",
    conversationType: "2",
    senderId: "$:LWCP_v1:$Ff09GIxxxxx",
    conversationTitle: "機器人測試-TEST",
    isInAtList: true,
    sessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=76da36b48f59e8",
    text: { content: ` ${content}` },
    robotCode: "dingxxxxr3xc0b",
    msgtype: "text",
    ...overrides,
  } as InboundMessage;
}

/** Wraps a message as an HTTP update. */
export function updateOf(message: InboundMessage, receivedAt = T0): Update {
  return { id: message.msgId, topic: ROBOT_MESSAGE_TOPIC, message, receivedAt, via: "http" };
}

/** A responder with an inline slot that records what was put in it. */
export interface RecordingResponder extends Responder {
  inline: ReplyBody[];
  acks: number;
}

/** Creates a responder whose inline slot accepts one reply (or none when `open` is false). */
export function recordingResponder(open = true): RecordingResponder {
  let slotOpen = open;
  const responder: RecordingResponder = {
    inline: [],
    acks: 0,
    ack: async () => {
      responder.acks += 1;
    },
    replyInline: async (body) => {
      if (!slotOpen) return false;
      slotOpen = false;
      responder.inline.push(body);
      return true;
    },
  };
  return responder;
}

/** A local HTTP server standing in for DingTalk's sessionWebhook endpoint. */
export interface SessionServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** A sessionWebhook URL on this server. */
  webhook: string;
  /** Bodies received, parsed. */
  received: unknown[];
  /** What the server answers next (default `{"errcode":0,"errmsg":"ok"}`). */
  answer: { status: number; body: string };
  close(): Promise<void>;
}

/** Starts a {@link SessionServer} on 127.0.0.1, port 0. */
export async function startSessionServer(): Promise<SessionServer> {
  const { createServer } = await import("node:http");
  const received: unknown[] = [];
  const state: SessionServer = {
    url: "",
    webhook: "",
    received,
    answer: { status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(state.answer.status, { "content-type": "application/json" });
      res.end(state.answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  state.url = `http://127.0.0.1:${port}`;
  state.webhook = `${state.url}/robot/sendBySession?session=5e55i0n`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
