/**
 * `POST /robot/sendBySession?session=…`: a bot's later reply to one message (protocol section 2.5). No
 * token and no signature: the session value is the credential, until `sessionWebhookExpiredTime`.
 * @module
 */
import {
  ROBOT_SEND_BY_SESSION_PATH,
  WEBHOOK_MAX_BODY_BYTES,
  WEBHOOK_SESSION_PARAM,
  webhookToken,
} from "dingbot-sdk/protocol";
import type { Context } from "hono";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { applyFault } from "./webhook-faults.js";
import { type Refusal, readMessageBody, refuseWebhook } from "./webhook-request.js";

/** Installs `/robot/sendBySession`. */
export const installSessionWebhook: RouteInstaller = (app, ctx) => {
  app.all(ROBOT_SEND_BY_SESSION_PATH, (c) => handleSendBySession(c, ctx));
};

async function handleSendBySession(c: Context, ctx: EmulatorContext): Promise<Response> {
  const { store, options } = ctx;
  const endpoint = `${c.req.method} ${ROBOT_SEND_BY_SESSION_PATH}`;
  let subject: string | undefined;
  const refuse = (refusal: Refusal): Response => refuseWebhook(c, store, endpoint, subject, refusal);

  const faulted = await applyFault(c, ctx, undefined, endpoint);
  if (faulted) return faulted;
  if (c.req.method !== "POST") return refuse({ errcode: 43002, errmsg: "需要POST请求", reason: "method" });
  const session = ctx.webhook.sessions.find(webhookToken(c.req.url, [WEBHOOK_SESSION_PARAM]), options.now());
  if (!session) return refuse({ errcode: 300001, errmsg: "session 不存在", reason: "session" });
  const app = store.findAppByRobotCode(session.robotCode);
  subject = app?.name ?? session.robotCode;

  const read = await readMessageBody(c, WEBHOOK_MAX_BODY_BYTES);
  if (!read.ok) return refuse(read);
  store.recordMessage({
    conversationId: session.conversationId,
    sender: { kind: "app", id: session.robotCode, name: subject },
    via: "session-webhook",
    body: read.body,
    replyTo: session.msgId,
  });
  return c.json({ errcode: 0, errmsg: "ok" });
}
