/**
 * Builds the body DingTalk sends to an app robot when a person writes to it (protocol section 2.2),
 * identical for the HTTP callback and the Stream CALLBACK frame's `data`.
 * @module
 */
import { check, formatIssues, InboundMessageSchema } from "dingbot-sdk/protocol";
import type { AppRecord, ConversationRecord, UserRecord } from "./store.js";

/** What a callback body is made of. */
export interface CallbackInput {
  msgId: string;
  conversation: ConversationRecord;
  sender: UserRecord;
  app: AppRecord;
  /** What the person typed, without the @-mention (a text message). */
  text?: string;
  /**
   * Any other kind: its msgtype and the msgtype-specific fields (`text` with a quote, or `content`), from
   * `media/person-message.ts`. Takes the place of `text`.
   */
  message?: { msgtype: string; parts: Record<string, unknown> };
  /** Whether the person @-ed the robot (always true in groups; optional in 1:1 chats). */
  atRobot: boolean;
  sessionWebhook: string;
  sessionWebhookExpiredTime: number;
  /** Epoch ms of the message. */
  createAt: number;
}

/**
 * Builds and validates a callback body.
 * In groups DingTalk strips the `@robot` from the text but leaves the space after it, so the content
 * starts with a space; 1:1 messages arrive as typed.
 * @param input - the message's parts
 * @returns the body as it goes on the wire, after checking it against the protocol's InboundMessageSchema
 *   (the body itself, not the parsed value: parsing renames unknown msgtypes and adds derived fields)
 * @throws Error when the built body does not match the schema (an emulator bug, never the caller's)
 */
export function buildCallbackBody(input: CallbackInput): Record<string, unknown> {
  const { conversation, sender, app } = input;
  const group = conversation.type === "group";
  const body = {
    conversationId: conversation.conversationId,
    ...(input.atRobot ? { atUsers: [{ dingtalkId: app.chatbotUserId }] } : {}),
    chatbotCorpId: app.corpId,
    chatbotUserId: app.chatbotUserId,
    msgId: input.msgId,
    senderNick: sender.name,
    isAdmin: sender.isAdmin,
    senderStaffId: sender.userId,
    sessionWebhookExpiredTime: input.sessionWebhookExpiredTime,
    createAt: input.createAt,
    senderCorpId: app.corpId,
    conversationType: group ? "2" : "1",
    senderId: sender.dingtalkId,
    senderUnionId: sender.unionId,
    ...(group ? { conversationTitle: conversation.title } : {}),
    isInAtList: input.atRobot,
    sessionWebhook: input.sessionWebhook,
    ...(input.message
      ? input.message.parts
      : { text: { content: group ? ` ${input.text ?? ""}` : (input.text ?? "") } }),
    robotCode: app.robotCode,
    msgtype: input.message?.msgtype ?? "text",
  };
  const result = check(InboundMessageSchema, body);
  if (!result.ok) throw new Error(`emulator built an invalid callback body: ${formatIssues(result.issues)}`);
  return body;
}
