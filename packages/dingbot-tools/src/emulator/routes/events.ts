/**
 * What the chat page reads: `GET /_emulator/snapshot` (the whole world at once, as JSON) and
 * `GET /_emulator/events` (server-sent events: `message`, `message-updated` (a recorded message changed, e.g.
 * its delivery outcome), `rejection`, `conversation`, `reset`, `card-created` and `card-updated` (a card's
 * state, as `GET /_emulator/cards/:outTrackId` shows it), plus a heartbeat comment so proxies and the
 * browser keep the stream open).
 * Neither ever carries a secret: robot secrets, app secrets and access tokens are left out.
 * @module
 */
import type { Hono } from "hono";
import type { CardEvents } from "../cards/state.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import type {
  AppRecord,
  ConversationRecord,
  EmulatorStore,
  MessageRecord,
  RejectionRecord,
  RobotRecord,
  StoreEvents,
} from "../store.js";

/** Interval of the SSE heartbeat comment, in ms. */
export const SSE_HEARTBEAT_MS = 15_000;

/** How long the browser waits before reconnecting a dropped event stream, in ms (the SSE `retry:` field). */
export const SSE_RETRY_MS = 1000;

/** A custom robot as the page sees it: no token, no secret. */
export interface PublicRobot {
  name: string;
  conversationId: string;
  keywords: string[];
  /** Whether sign mode is on. */
  signed: boolean;
  ipWhitelist: string[];
}

/** An app robot as the page sees it: no secret. */
export interface PublicApp {
  appKey: string;
  robotCode: string;
  agentId: number;
  name: string;
  mode: "http" | "stream";
  callbackUrl?: string;
  chatbotUserId: string;
}

/** A message as the page sees it: the record without the custom robot's access token. */
export type PublicMessage = Omit<MessageRecord, "accessToken">;

/** Everything the page shows, in one response. */
export interface Snapshot {
  conversations: ConversationRecord[];
  users: Array<{ userId: string; name: string; mobile: string; isAdmin: boolean }>;
  robots: PublicRobot[];
  apps: PublicApp[];
  messages: PublicMessage[];
  rejections: RejectionRecord[];
}

/** Removes the robot's secret and token. */
export function publicRobot(robot: RobotRecord): PublicRobot {
  return {
    name: robot.name,
    conversationId: robot.conversationId,
    keywords: robot.keywords,
    signed: robot.secret !== undefined,
    ipWhitelist: robot.ipWhitelist,
  };
}

/** Removes the app's secret. */
export function publicApp(app: AppRecord): PublicApp {
  return {
    appKey: app.appKey,
    robotCode: app.robotCode,
    agentId: app.agentId,
    name: app.name,
    mode: app.mode,
    chatbotUserId: app.chatbotUserId,
    ...(app.callbackUrl ? { callbackUrl: app.callbackUrl } : {}),
  };
}

/** Removes the access token a webhook message was posted with. */
export function publicMessage(message: MessageRecord): PublicMessage {
  const { accessToken: _token, ...rest } = message;
  return rest;
}

/** Builds the page's snapshot of the store. */
export function snapshot(store: EmulatorStore): Snapshot {
  return {
    conversations: [...store.conversations.values()],
    users: [...store.users.values()].map((u) => ({
      userId: u.userId,
      name: u.name,
      mobile: u.mobile,
      isAdmin: u.isAdmin,
    })),
    robots: [...store.robots.values()].map(publicRobot),
    apps: [...store.apps.values()].map(publicApp),
    messages: store.messages.map(publicMessage),
    rejections: [...store.rejections],
  };
}

/**
 * The message itself when it can be serialised, else the message with its body replaced by a short
 * placeholder, so one bad record cannot break a whole list. Called only after serialising a list failed.
 * @param message - a recorded message
 */
export function serialisableMessage<M extends { body: Record<string, unknown> }>(message: M): M {
  try {
    JSON.stringify(message);
    return message;
  } catch {
    return { ...message, body: { msgtype: "unreadable", error: "the body cannot be shown as JSON" } };
  }
}

/** One server-sent event, framed. JSON never contains a raw newline, so one `data:` line is enough. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Installs `GET /_emulator/snapshot` and `GET /_emulator/events`. */
export const installEventRoutes: RouteInstaller = (app: Hono, ctx: EmulatorContext) => {
  app.get("/_emulator/snapshot", (c) => {
    const world = snapshot(ctx.store);
    let text: string;
    try {
      text = JSON.stringify(world);
    } catch {
      // One unserialisable message (nested too deep to stringify) must not keep the page from loading.
      text = JSON.stringify({ ...world, messages: world.messages.map(serialisableMessage) });
    }
    return c.body(text, 200, { "content-type": "application/json", "cache-control": "no-store" });
  });

  app.get("/_emulator/events", (c) => {
    const { store } = ctx;
    const encoder = new TextEncoder();
    let cleanup = (): void => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string): void => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            // The stream closed between the event and this write; cleanup is already on its way.
            cleanup();
          }
        };
        // The store calls these inside the request that changed it (a robot's /robot/send): an event that
        // cannot be serialised is dropped for this page with a log line, never thrown into that request.
        const forward = (event: string, data: () => unknown): void => {
          let frame: string;
          try {
            frame = sseFrame(event, data());
          } catch (error) {
            const why = error instanceof Error ? error.message : String(error);
            ctx.options.log(`dropped a ${event} event for the chat page: ${why}`);
            return;
          }
          send(frame);
        };
        const onMessage = (m: StoreEvents["message"][0]): void => forward("message", () => publicMessage(m));
        const onUpdated = (m: StoreEvents["message-updated"][0]): void =>
          forward("message-updated", () => publicMessage(m));
        const onRejection = (r: StoreEvents["rejection"][0]): void => forward("rejection", () => r);
        const onConversation = (conversation: StoreEvents["conversation"][0]): void =>
          forward("conversation", () => conversation);
        const onReset = (): void => forward("reset", () => ({}));
        const onCardCreated = (card: CardEvents["card-created"][0]): void =>
          forward("card-created", () => card);
        const onCardUpdated = (card: CardEvents["card-updated"][0]): void =>
          forward("card-updated", () => card);
        ctx.cards.events.on("card-created", onCardCreated);
        ctx.cards.events.on("card-updated", onCardUpdated);
        store.events.on("message", onMessage);
        store.events.on("message-updated", onUpdated);
        store.events.on("rejection", onRejection);
        store.events.on("conversation", onConversation);
        store.events.on("reset", onReset);
        const heartbeat = setInterval(() => send(": heartbeat\n\n"), SSE_HEARTBEAT_MS);
        // The heartbeat alone must never keep a process (a test, the demo) alive.
        heartbeat.unref();
        let done = false;
        cleanup = () => {
          if (done) return;
          done = true;
          clearInterval(heartbeat);
          store.events.off("message", onMessage);
          store.events.off("message-updated", onUpdated);
          store.events.off("rejection", onRejection);
          store.events.off("conversation", onConversation);
          store.events.off("reset", onReset);
          ctx.cards.events.off("card-created", onCardCreated);
          ctx.cards.events.off("card-updated", onCardUpdated);
          try {
            controller.close();
          } catch {
            // Already closed or cancelled.
          }
        };
        c.req.raw.signal.addEventListener("abort", () => cleanup(), { once: true });
        send(`retry: ${SSE_RETRY_MS}\n: connected\n\n`);
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      },
    });
  });
};
