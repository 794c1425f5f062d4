/**
 * The bot's last way to answer: once a message's sessionWebhook has expired, send the reply through the
 * robot OpenAPI, 1:1 to the sender or to the group, by the message's conversation type.
 * @module
 */
import { ValidationError } from "../errors.js";
import type { RobotMessageBody } from "../protocol/outbound/messages.js";
import type { AppClient } from "./app-client.js";
import { RobotApi, toRobotTemplate } from "./robot-api.js";

/** What the fallback needs from the message being answered (a bot's inbound message fits). */
export interface ReplyTarget {
  /** `"1"` 1:1, `"2"` group. */
  conversationType: string;
  /** The group's openConversationId, for group replies. */
  conversationId: string;
  /** The sender's userid, for 1:1 replies. */
  senderStaffId?: string | undefined;
}

/** What the fallback receives: the bot's `apiFallback` request. */
export interface OpenApiReplyRequest {
  body: RobotMessageBody | { msgtype: "empty" };
  message: ReplyTarget;
  /** The robot that should answer; defaults to the one given to {@link openApiReplier}. */
  robotCode?: string | undefined;
}

/** Sends one reply through the robot OpenAPI. */
export type OpenApiReplier = (request: OpenApiReplyRequest) => Promise<void>;

/**
 * Builds the bot's `apiFallback`.
 * @param client - the app's client
 * @param robotCode - the robot (default: the client's robotCode, i.e. the appKey)
 * @example
 * const client = new AppClient({ appKey, appSecret });
 * const bot = new Bot({ appKey, appSecret, apiFallback: openApiReplier(client) });
 */
export function openApiReplier(client: AppClient, robotCode?: string): OpenApiReplier {
  return async ({ body, message, robotCode: fromMessage }) => {
    if (body.msgtype === "empty") return;
    const template = toRobotTemplate(body);
    const code = robotCode ?? fromMessage ?? client.robotCode;
    const robot = code === client.robot.robotCode ? client.robot : new RobotApi(client, code);
    if (message.conversationType === "2") {
      await robot.sendToGroup(message.conversationId, template);
      return;
    }
    if (!message.senderStaffId) {
      const reason = "a 1:1 reply through the OpenAPI needs the sender's senderStaffId";
      throw new ValidationError(reason, [{ path: "message.senderStaffId", message: reason }], "outbound");
    }
    await robot.sendToUsers([message.senderStaffId], template);
  };
}
