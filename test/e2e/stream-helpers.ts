/**
 * Shared pieces of the Stream e2e tests: an emulator on a port with short timeouts, a stream app, robot
 * message bodies, and a small wait-until helper (polling, because the events cross real sockets).
 */
import { randomBytes } from "node:crypto";
import type { AppRecord, MessageRecord } from "dingbot-tools/emulator";
import { createEmulator, type Emulator, type EmulatorOptions } from "dingbot-tools/emulator";

/** A listening emulator and a stream-mode app on it. */
export interface StreamWorld {
  emulator: Emulator;
  baseUrl: string;
  app: AppRecord;
}

/** Starts an emulator on 127.0.0.1:0 with test-friendly Stream timeouts. */
export async function startStreamWorld(options: EmulatorOptions = {}): Promise<StreamWorld> {
  const emulator = createEmulator({
    pingIntervalMs: 60_000,
    redeliverAfterMs: 500,
    disconnectGraceMs: 300,
    ticketTtlMs: 5_000,
    streamMaxDeliveries: 20,
    ...options,
  });
  const baseUrl = await emulator.listen(0, "127.0.0.1");
  const app = emulator.store.createApp({ mode: "stream", name: "流式机器人" });
  return { emulator, baseUrl, app };
}

let counter = 0;

/** A 1:1 text message from a person to the app's robot, valid for InboundMessageSchema. */
export function robotMessage(world: StreamWorld, content: string): Record<string, unknown> {
  counter += 1;
  const now = Date.now();
  return {
    msgtype: "text",
    text: { content },
    msgId: `msg${counter}${randomBytes(8).toString("base64")}`,
    createAt: now,
    conversationType: "1",
    conversationId: "cidStreamTest==",
    senderId: "$:LWCP_v1:$streamtester",
    senderNick: "测试用户",
    senderStaffId: "user001",
    sessionWebhook: `${world.baseUrl}/robot/sendBySession?session=${randomBytes(16).toString("hex")}`,
    sessionWebhookExpiredTime: now + 5_400_000,
    chatbotUserId: world.app.chatbotUserId,
    chatbotCorpId: world.app.corpId,
    robotCode: world.app.robotCode,
    isInAtList: true,
    isAdmin: false,
  };
}

/** Polls `condition` every 10 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Calls the gateway like an SDK would. */
export async function openTicket(
  world: StreamWorld,
  secret = world.app.appSecret,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${world.baseUrl}/v1.0/gateway/connections/open`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      clientId: world.app.appKey,
      clientSecret: secret,
      subscriptions: [
        { type: "EVENT", topic: "*" },
        { type: "CALLBACK", topic: "/v1.0/im/bot/messages/get" },
      ],
      ua: "stream-test/1.0",
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** POSTs JSON to the emulator and returns its JSON answer, whatever the status. */
export async function post<T = Record<string, unknown>>(
  base: string,
  path: string,
  body: unknown,
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

/**
 * A person writes `text` to a robot in a new 1:1 chat, through the control API.
 * @returns the new conversation and the emulator's answer to the message (`delivered`, `msgId`, …)
 */
export async function sayInNewChat(
  world: StreamWorld,
  userId: string,
  robotCode: string,
  text: string,
): Promise<{ conversationId: string; answer: Record<string, unknown> }> {
  const conversation = await post(world.baseUrl, "/_emulator/conversations", {
    type: "single",
    members: [userId],
    robots: [robotCode],
  });
  const conversationId = conversation.conversationId as string;
  const answer = await post(
    world.baseUrl,
    `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
    { from: userId, text },
  );
  return { conversationId, answer };
}

/** Waits for exactly one message in the conversation replying to `msgId`, and returns it. */
export async function onlyReply(
  world: StreamWorld,
  conversationId: string,
  msgId: unknown,
  what: string,
): Promise<MessageRecord | undefined> {
  const replies = () =>
    world.emulator.store.listMessages({ conversationId }).filter((m) => m.replyTo === msgId);
  await waitUntil(() => replies().length === 1, what);
  return replies()[0];
}

/** Calls the emulator (control API or DingTalk paths) with an optional JSON body; its JSON answer, whatever the status. */
export async function requestJson<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return (await response.json()) as T;
}
