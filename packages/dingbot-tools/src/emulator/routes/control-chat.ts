/**
 * `POST /_emulator/conversations/:conversationId/messages` `{from, text, atRobot?}` or
 * `{from, msgtype, content, atRobot?, quote?}` (any kind: text, richText, picture, audio, video, file, markdown,
 * interactiveCard, chatRecord, or any msgtype passed through): a person writes in a conversation. The
 * message is recorded; when it reaches a robot (group: the robot is @-ed; 1:1: always) the emulator builds
 * DingTalk's callback body (files get fresh downloadCodes bound to that robot), delivers it to the bot and
 * records the inline reply.
 * @module
 */
import { ROBOT_SEND_BY_SESSION_PATH } from "dingbot-sdk/protocol";
import { buildCallbackBody } from "../callback-body.js";
import type { DeliveryResult, EmulatorContext, RouteInstaller } from "../context.js";
import { deliver } from "../deliver.js";
import { readPersonMessage } from "../media/person-message.js";
import { type AppRecord, type EmulatorStore, fakeId } from "../store.js";
import { control, originOf, readControlJson } from "./control-http.js";
import { asObject, ControlError, optionalString } from "./control-input.js";

/** The answer of the route. */
export interface ChatAnswer {
  msgId: string;
  delivered: boolean;
  /** The bot's inline reply body, or null. */
  reply: Record<string, unknown> | null;
  /** Attempts made (0 when the message reached no robot). */
  attempts: number;
  /** The sessionWebhook minted for the message, when it reached a robot. */
  sessionWebhook?: string;
  /** Stream bot offline: the message waits for it to connect. */
  queued?: boolean;
  /** Why delivery failed or the reply was dropped. */
  error?: string;
}

/** Installs the route. `fetchImpl` lets tests observe callbacks without a server. */
export function chatRoutes(fetchImpl?: typeof fetch): RouteInstaller {
  return (app, ctx) => {
    app.post(
      "/_emulator/conversations/:conversationId/messages",
      control(async (c) => {
        const input = asObject(await readControlJson(c));
        const answer = await postAsPerson(
          ctx,
          c.req.param("conversationId") ?? "",
          input,
          originOf(c),
          fetchImpl,
        );
        return c.json(answer);
      }),
    );
  };
}

/** The route with the global fetch. */
export const installControlChat: RouteInstaller = chatRoutes();

/**
 * A person writes a message; see the module comment.
 * @param ctx - the emulator
 * @param conversationId - where
 * @param input - `{from, text, atRobot?}` or `{from, msgtype, content, atRobot?, quote?}`
 * @param origin - the emulator's origin for the sessionWebhook URL
 * @param fetchImpl - fetch for HTTP callbacks
 * @throws ControlError 404 for an unknown conversation, user or robot; 400 for bad input
 */
export async function postAsPerson(
  ctx: EmulatorContext,
  conversationId: string,
  input: Record<string, unknown>,
  origin: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<ChatAnswer> {
  const { store, options } = ctx;
  const conversation = store.conversations.get(conversationId);
  if (!conversation) throw new ControlError(404, "no such conversation");
  const from = optionalString(input, "from", 256);
  if (from === undefined) throw new ControlError(400, "from (a userId) is required");
  const sender = store.users.get(from);
  if (!sender) throw new ControlError(404, `no user ${from}`);
  if (!conversation.members.includes(from))
    throw new ControlError(400, `user ${from} is not a member of this conversation`);
  // `{from, text}` (the first form) or `{from, msgtype, content, quote?}` (every kind: media/person-message.ts).
  const message = readPersonMessage(ctx, input, conversation);
  const atRobot = optionalString(input, "atRobot", 256);
  if (atRobot !== undefined && !conversation.robots.includes(atRobot)) {
    throw new ControlError(400, `robot ${atRobot} is not in this conversation`);
  }
  const group = conversation.type === "group";
  // In groups only an @-ed robot hears the message; in 1:1 the conversation's robot hears everything.
  const robotCode = atRobot ?? (group ? undefined : conversation.robots[0]);
  const app = robotCode !== undefined ? store.findAppByRobotCode(robotCode) : undefined;
  if (robotCode !== undefined && !app)
    throw new ControlError(404, `no app robot with robotCode ${robotCode}`);

  const msgId = fakeId("msg", 16);
  const now = options.now();
  const personMessage = store.recordMessage({
    conversationId,
    sender: { kind: "user", id: sender.userId, name: sender.name },
    via: "user",
    body:
      message.msgtype === "text"
        ? {
            msgtype: "text",
            text: { content: atRobot && app && group ? `@${app.name} ${message.text}` : message.text },
          }
        : message.recordBody,
    meta: {
      msgId,
      ...(robotCode ? { atRobot: robotCode } : {}),
      ...(message.media.length > 0 ? { media: message.media } : {}),
      ...(message.quote ? { quote: message.quote.info } : {}),
    },
  });
  if (!app) return { msgId, delivered: false, reply: null, attempts: 0 };

  const session = ctx.webhook.sessions.create(
    { conversationId, robotCode: app.robotCode, msgId, expiresAt: now + options.sessionTtlMs },
    now,
  );
  const sessionWebhook = `${origin}${ROBOT_SEND_BY_SESSION_PATH}?session=${session.session}`;
  const body = buildCallbackBody({
    msgId,
    conversation,
    sender,
    app,
    message: { msgtype: message.msgtype, parts: message.callbackParts(app.robotCode, group) },
    atRobot: atRobot !== undefined,
    sessionWebhook,
    sessionWebhookExpiredTime: session.expiresAt,
    createAt: now,
  });
  // A message queued for an offline Stream bot gets its real outcome once the bot connects (or never acks).
  const result = await deliver(ctx, app, body, fetchImpl, (later) =>
    recordOutcome(store, app, conversationId, msgId, later, personMessage.id),
  );
  recordOutcome(store, app, conversationId, msgId, result, personMessage.id);
  return {
    msgId,
    delivered: result.delivered,
    reply: result.inlineReply ?? null,
    attempts: result.attempts,
    sessionWebhook,
    ...(result.queued ? { queued: true } : {}),
    ...(result.error ? { error: result.error } : {}),
  };
}

/**
 * Records the bot's inline reply and the delivery outcome: on the person's message (a `message-updated`
 * event tells the page), and as a rejection when it failed.
 */
function recordOutcome(
  store: EmulatorStore,
  app: AppRecord,
  conversationId: string,
  msgId: string,
  result: DeliveryResult,
  personMessageId: string,
): void {
  store.updateMessageMeta(personMessageId, {
    delivery: {
      delivered: result.delivered,
      attempts: result.attempts,
      ...(result.queued ? { queued: true } : {}),
      ...(result.error ? { error: result.error } : {}),
    },
  });
  if (result.inlineReply) {
    store.recordMessage({
      conversationId,
      sender: { kind: "app", id: app.robotCode, name: app.name },
      via: "inline-reply",
      body: result.inlineReply,
      replyTo: msgId,
    });
  }
  if (!result.delivered || result.error) {
    store.recordRejection({
      endpoint: app.mode === "stream" ? "stream CALLBACK" : "POST callbackUrl",
      subject: app.name,
      errmsg: result.error ?? "not delivered",
      reason: result.delivered ? "reply" : result.queued ? "offline" : "delivery",
    });
  }
}
