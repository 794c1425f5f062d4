/**
 * The robot OpenAPI: 1:1 batch send (≤ 20 userIds), group send, read status, recall (≤ 20 keys, 24 h).
 * Messages appear in the recipients' 1:1 conversation with the robot, or in the group.
 * @module
 */
import {
  check,
  formatIssues,
  isMsgKey,
  MSG_PARAM_SCHEMAS,
  parseJson,
  ROBOT_BATCH_MAX,
  ROBOT_GROUP_QUERY_MAX_RESULTS,
  ROBOT_MSG_PARAM_MAX_BYTES,
  ROBOT_RECALL_WINDOW_MS,
} from "dingbot-sdk/protocol";
import type { EmulatorContext } from "../context.js";
import type { MediaRecordInfo } from "../media/person-message.js";
import { MEDIA_MSG_KEYS, robotMediaMessage } from "../media/robot-media.js";
import type { RobotSend } from "../notifications.js";
import type { AppRecord, ConversationRecord } from "../store.js";
import { newRefusal } from "./app-api-errors.js";
import type { EndpointHandlers } from "./endpoint-handlers.js";

const bad = (code: string, message: string, reason = "params") => newRefusal(400, code, message, reason);

/** The app behind robotCode, which must be the token's own app. */
function robotApp(tokenApp: AppRecord | undefined, ctx: EmulatorContext, robotCode: string): AppRecord {
  if (!robotCode) throw bad("invalidParameter.robotCode.empty", "robotCode不能为空", "robot");
  const app = ctx.store.findAppByRobotCode(robotCode);
  if (!app) throw bad("invalidParameter.robotCode.notExsit", "机器人不存在", "robot");
  if (!tokenApp || tokenApp.appKey !== app.appKey)
    throw bad("invalidParameter.robotCode.auth", "无权限使用该机器人", "robot");
  return app;
}

/** A checked message: its recorded body, and the files of a media template (for the page). */
interface CheckedMessage {
  body: Record<string, unknown>;
  media?: MediaRecordInfo[];
}

/** Checks msgKey and msgParam and returns the message as the store records it. */
function messageBody(ctx: EmulatorContext, msgKey: string, msgParam: string): CheckedMessage {
  if (!msgKey) throw bad("invalidParameter.msgKey.empty", "msgKey不能为空");
  if (!isMsgKey(msgKey)) throw bad("invalidParameter.msgKey.invalid", `msgKey无效: ${msgKey}`);
  if (Buffer.byteLength(msgParam, "utf8") > ROBOT_MSG_PARAM_MAX_BYTES) {
    throw bad("invalidParameter.msgParam.tooLong", `msgParam超过${ROBOT_MSG_PARAM_MAX_BYTES}字节`);
  }
  // Nesting capped: the parsed msgParam is stored with the message and served as JSON later.
  const parsed = parseJson(msgParam);
  if (!parsed.ok) throw bad("invalidParameter.msgParam.invalid", "msgParam不是合法的JSON字符串");
  const param = parsed.value;
  const checked = check(MSG_PARAM_SCHEMAS[msgKey], param);
  if (!checked.ok)
    throw bad("invalidParameter.msgParam.invalid", `msgParam不合法: ${formatIssues(checked.issues)}`);
  const fields = checked.value as Record<string, string>;
  if (MEDIA_MSG_KEYS.has(msgKey)) {
    const { body, media } = robotMediaMessage(ctx, msgKey, fields);
    return { body: { ...body, msgKey, msgParam: param }, ...(media.length > 0 ? { media } : {}) };
  }
  return { body: { ...toDisplayBody(msgKey, fields), msgKey, msgParam: param } };
}

/** The robot-message shape of a template, so the chat page and tests read it like any other message. */
function toDisplayBody(msgKey: string, p: Record<string, string>): Record<string, unknown> {
  if (msgKey === "sampleText") return { msgtype: "text", text: { content: p.content } };
  if (msgKey === "sampleMarkdown") return { msgtype: "markdown", markdown: { title: p.title, text: p.text } };
  if (msgKey === "sampleLink") {
    return {
      msgtype: "link",
      link: { title: p.title, text: p.text, messageUrl: p.messageUrl, picUrl: p.picUrl },
    };
  }
  if (msgKey === "sampleActionCard") {
    return {
      msgtype: "actionCard",
      actionCard: { title: p.title, text: p.text, singleTitle: p.singleTitle, singleURL: p.singleURL },
    };
  }
  if (msgKey.startsWith("sampleActionCard")) {
    const btns: { title: string; actionURL: string }[] = [];
    for (let i = 1; i <= 5; i += 1) {
      const title = p[`actionTitle${i}`] ?? p[`buttonTitle${i}`];
      const actionURL = p[`actionURL${i}`] ?? p[`buttonUrl${i}`];
      if (title && actionURL) btns.push({ title, actionURL });
    }
    const btnOrientation = msgKey === "sampleActionCard6" ? "1" : "0";
    return { msgtype: "actionCard", actionCard: { title: p.title, text: p.text, btns, btnOrientation } };
  }
  return { msgtype: msgKey };
}

function findGroup(ctx: EmulatorContext, openConversationId: string): ConversationRecord {
  if (!openConversationId) throw bad("miss.openConversationId", "openConversationId不能为空");
  const conversation = ctx.store.conversations.get(openConversationId);
  if (conversation?.type !== "group") {
    throw bad("openConversationId.notExisted", "群会话不存在", "conversation");
  }
  return conversation;
}

function findSend(ctx: EmulatorContext, app: AppRecord, key: string, kind: RobotSend["kind"]): RobotSend {
  if (!key) throw bad("invalidParameter.processQueryKey.missing", "processQueryKey不能为空");
  const send = ctx.appApi.notifications.robotSends.get(key);
  if (!send || send.appKey !== app.appKey || send.kind !== kind)
    throw bad("invalid.processQueryKey", "processQueryKey无效");
  return send;
}

/**
 * Records a robot OpenAPI send: the message in each target conversation, as the app robot via the OpenAPI,
 * then the send (its processQueryKey) and the key on each message.
 * @param targets - recipient (userId, or the group's conversationId) → the conversation it appears in
 * @param group - the group's conversationId for a group send; absent for a 1:1 batch
 */
function recordSend(
  ctx: EmulatorContext,
  app: AppRecord,
  { body, media }: CheckedMessage,
  now: number,
  targets: ReadonlyMap<string, string>,
  group?: string,
): RobotSend {
  const recorded = [...targets].map(
    ([recipient, conversationId]) =>
      [
        recipient,
        ctx.store.recordMessage({
          conversationId,
          sender: { kind: "app", id: app.robotCode, name: app.name },
          via: "openapi",
          body,
          readBy: {},
          ...(media ? { meta: { media } } : {}),
        }),
      ] as const,
  );
  const send = ctx.appApi.notifications.createRobotSend({
    appKey: app.appKey,
    robotCode: app.robotCode,
    kind: group === undefined ? "oto" : "group",
    ...(group === undefined ? {} : { conversationId: group }),
    messages: new Map(recorded.map(([recipient, message]) => [recipient, message.id])),
    createdAt: now,
  });
  for (const [, message] of recorded)
    message.meta = { ...message.meta, processQueryKey: send.processQueryKey };
  return send;
}

function recall(ctx: EmulatorContext, app: AppRecord, keys: string[], now: number, conversationId?: string) {
  if (keys.length === 0) throw bad("invalidParameter.processQueryKey.missing", "processQueryKeys不能为空");
  if (keys.length > ROBOT_BATCH_MAX)
    throw bad("invalidParameter.param.invalid", `processQueryKeys最多${ROBOT_BATCH_MAX}个`);
  const { notifications } = ctx.appApi;
  const successResult: string[] = [];
  const failedResult: Record<string, string> = {};
  for (const key of keys) {
    const send = notifications.robotSends.get(key);
    if (
      !send ||
      send.appKey !== app.appKey ||
      (conversationId !== undefined && send.conversationId !== conversationId)
    ) {
      failedResult[key] = "invalid.processQueryKey";
    } else if (now - send.createdAt > ROBOT_RECALL_WINDOW_MS) {
      failedResult[key] = "processQueryKey.expireTime";
    } else {
      send.recalled = true;
      for (const id of send.messages.values()) {
        const message = notifications.message(id);
        if (message) message.meta = { ...message.meta, recalled: true, recalledAt: now };
      }
      successResult.push(key);
    }
  }
  return { successResult, failedResult };
}

/** Handlers of the robot OpenAPI endpoints. */
export const ROBOT_API_HANDLERS: Pick<
  EndpointHandlers,
  | "robot.batchSendOto"
  | "robot.batchOtoQuery"
  | "robot.batchRecallOto"
  | "robot.orgGroupSend"
  | "robot.orgGroupQuery"
  | "robot.orgGroupRecall"
> = {
  "robot.batchSendOto": ({ args, app: tokenApp, ctx, now }) => {
    const app = robotApp(tokenApp, ctx, args.robotCode);
    if (args.userIds.length === 0) throw bad("invalidParameter.userIds.empty", "userIds不能为空");
    if (args.userIds.length > ROBOT_BATCH_MAX)
      throw bad("invalidParameter.userIds.overMax", `userIds最多${ROBOT_BATCH_MAX}个`);
    const body = messageBody(ctx, args.msgKey, args.msgParam);
    const targets = new Map<string, string>();
    const invalidStaffIdList: string[] = [];
    for (const userId of new Set(args.userIds)) {
      if (!ctx.store.users.has(userId)) {
        invalidStaffIdList.push(userId);
        continue;
      }
      targets.set(userId, ctx.store.singleConversation(userId, app.robotCode, app.name).conversationId);
    }
    const send = recordSend(ctx, app, body, now, targets);
    return { processQueryKey: send.processQueryKey, invalidStaffIdList, flowControlledStaffIdList: [] };
  },
  "robot.orgGroupSend": ({ args, app: tokenApp, ctx, now }) => {
    const app = robotApp(tokenApp, ctx, args.robotCode);
    const conversation = findGroup(ctx, args.openConversationId);
    const body = messageBody(ctx, args.msgKey, args.msgParam);
    const { conversationId } = conversation;
    const send = recordSend(ctx, app, body, now, new Map([[conversationId, conversationId]]), conversationId);
    return { processQueryKey: send.processQueryKey };
  },
  "robot.batchOtoQuery": ({ args, app: tokenApp, ctx }) => {
    const app = robotApp(tokenApp, ctx, args.robotCode);
    const send = findSend(ctx, app, args.processQueryKey, "oto");
    const { notifications } = ctx.appApi;
    const messageReadInfoList = [...send.messages].map(([userId, id]) => {
      const readAt = notifications.message(id)?.readBy?.[userId];
      return {
        name: ctx.store.users.get(userId)?.name ?? userId,
        userId,
        readStatus: readAt === undefined ? "unread" : "read",
        readTimestamp: readAt ?? 0,
      };
    });
    return { sendStatus: send.recalled ? "RECALLED" : "SUCCESS", messageReadInfoList };
  },
  "robot.orgGroupQuery": ({ args, app: tokenApp, ctx }) => {
    const app = robotApp(tokenApp, ctx, args.robotCode);
    findGroup(ctx, args.openConversationId);
    const send = findSend(ctx, app, args.processQueryKey, "group");
    if (send.conversationId !== args.openConversationId)
      throw bad("invalid.processQueryKey", "processQueryKey与群会话不匹配");
    const max = args.maxResults ?? ROBOT_GROUP_QUERY_MAX_RESULTS;
    if (max < 1 || max > ROBOT_GROUP_QUERY_MAX_RESULTS) {
      throw bad("invalidParameter.param.invalid", `maxResults 取值 1-${ROBOT_GROUP_QUERY_MAX_RESULTS}`);
    }
    const message = ctx.appApi.notifications.message(send.messages.get(args.openConversationId));
    const readers = Object.keys(message?.readBy ?? {});
    const offset = Number(args.nextToken ?? "0") || 0;
    const page = readers.slice(offset, offset + max);
    const hasMore = offset + max < readers.length;
    return {
      sendStatus: send.recalled ? "RECALLED" : "SUCCESS",
      readUserIds: page,
      hasMore,
      ...(hasMore ? { nextToken: String(offset + max) } : {}),
    };
  },
  "robot.batchRecallOto": ({ args, app: tokenApp, ctx, now }) => {
    const app = robotApp(tokenApp, ctx, args.robotCode);
    return recall(ctx, app, args.processQueryKeys, now);
  },
  "robot.orgGroupRecall": ({ args, app: tokenApp, ctx, now }) => {
    const app = robotApp(tokenApp, ctx, args.robotCode);
    findGroup(ctx, args.openConversationId);
    return recall(ctx, app, args.processQueryKeys, now, args.openConversationId);
  },
};
