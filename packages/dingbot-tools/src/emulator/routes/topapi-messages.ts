/**
 * Work notifications: `asyncsend_v2` (asynchronous; recipients' outcomes decided at once, messages
 * delivered after `notificationDelayMs`), `getsendprogress`, `getsendresult`, `recall` (within 24 h).
 * @module
 */
import {
  SEND_PROGRESS_STATUS,
  WORK_NOTIFICATION_MAX_DEPTS,
  WORK_NOTIFICATION_MAX_USERS,
  WORK_NOTIFICATION_RECALL_WINDOW_MS,
} from "dingbot-sdk/protocol";
import type { EmulatorContext } from "../context.js";
import type { WorkTask } from "../notifications.js";
import type { AppRecord } from "../store.js";
import { oldRefusal, requestId } from "./app-api-errors.js";
import type { EndpointHandlers } from "./endpoint-handlers.js";

/** The organisation's root department: the only department the emulator knows, standing for everyone. */
export const ROOT_DEPT_ID = "1";

function splitList(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function checkAgent(app: AppRecord | undefined, agentId: number): AppRecord {
  // The token's app and the agent_id must belong together; DingTalk refuses another app's AgentId.
  if (!app || app.agentId !== agentId) throw oldRefusal(40056, "不合法的agentid", "agent", true);
  return app;
}

function findTask(ctx: EmulatorContext, app: AppRecord, taskId: number, now: number): WorkTask {
  const { notifications } = ctx.appApi;
  const task = notifications.tasks.get(taskId);
  if (!task || task.appKey !== app.appKey)
    throw oldRefusal(40035, `不合法的参数: task_id ${taskId} 不存在`, "task", true);
  notifications.settle(task, now);
  return task;
}

/** Refuses a recipient list longer than DingTalk takes (40035). */
function capList(name: string, list: readonly string[], max: number): void {
  if (list.length > max) throw oldRefusal(40035, `不合法的参数: ${name} 最多 ${max} 个`, "recipients", true);
}

/** Handlers of the work-notification endpoints. */
export const TOPAPI_MESSAGE_HANDLERS: Pick<
  EndpointHandlers,
  | "workNotification.send"
  | "workNotification.getProgress"
  | "workNotification.getResult"
  | "workNotification.recall"
> = {
  "workNotification.send": ({ args, app: tokenApp, ctx, now }) => {
    const app = checkAgent(tokenApp, args.agent_id);
    const requested = splitList(args.userid_list);
    const depts = splitList(args.dept_id_list);
    if (requested.length === 0 && depts.length === 0 && !args.to_all_user) {
      throw oldRefusal(
        40035,
        "不合法的参数: userid_list、dept_id_list、to_all_user 不能同时为空",
        "params",
        true,
      );
    }
    capList("userid_list", requested, WORK_NOTIFICATION_MAX_USERS);
    capList("dept_id_list", depts, WORK_NOTIFICATION_MAX_DEPTS);
    const everyone = [...ctx.store.users.keys()];
    const userIds = requested.filter((id) => ctx.store.users.has(id));
    const invalidUserIds = requested.filter((id) => !ctx.store.users.has(id));
    // Department ids are numbers on DingTalk; one that is not a number cannot name a department.
    const badDept = depts.find((id) => !/^\d{1,19}$/.test(id));
    if (badDept !== undefined) {
      throw oldRefusal(40035, `不合法的参数: dept_id_list ${badDept} 不是数字`, "params", true);
    }
    const invalidDeptIds = depts.filter((id) => id !== ROOT_DEPT_ID).map(Number);
    if (args.to_all_user || depts.includes(ROOT_DEPT_ID)) userIds.push(...everyone);
    const delay = ctx.options.notificationDelayMs;
    const { notifications } = ctx.appApi;
    const task = notifications.createTask(
      app,
      {
        agentId: args.agent_id,
        msg: args.msg as Record<string, unknown>,
        userIds,
        invalidUserIds,
        invalidDeptIds,
      },
      now,
      delay,
    );
    if (delay <= 0) notifications.settle(task, now, true);
    else setTimeout(() => notifications.settle(task, Number.POSITIVE_INFINITY, true), delay).unref();
    return { errcode: 0, errmsg: "ok", task_id: task.taskId, request_id: requestId() };
  },
  "workNotification.getProgress": ({ args, app, ctx, now }) => {
    const task = findTask(ctx, checkAgent(app, args.agent_id), args.task_id, now);
    const span = Math.max(1, task.doneAt - task.createdAt);
    const percent = task.settled ? 100 : Math.min(99, Math.floor(((now - task.createdAt) / span) * 100));
    const status = task.settled ? SEND_PROGRESS_STATUS.DONE : SEND_PROGRESS_STATUS.PROCESSING;
    return {
      errcode: 0,
      errmsg: "ok",
      progress: { progress_in_percent: percent, status },
      request_id: requestId(),
    };
  },
  "workNotification.getResult": ({ args, app, ctx, now }) => {
    const task = findTask(ctx, checkAgent(app, args.agent_id), args.task_id, now);
    const { notifications } = ctx.appApi;
    const read: string[] = [];
    const unread: string[] = [];
    for (const [userId, messageId] of task.delivered) {
      const message = notifications.message(messageId);
      (message?.readBy?.[userId] !== undefined ? read : unread).push(userId);
    }
    return {
      errcode: 0,
      errmsg: "ok",
      send_result: {
        invalid_user_id_list: task.invalidUserIds,
        forbidden_user_id_list: task.forbidden.map((f) => f.userid),
        failed_user_id_list: [],
        read_user_id_list: read,
        unread_user_id_list: unread,
        invalid_dept_id_list: task.invalidDeptIds,
        forbidden_list: task.forbidden.map((f) => ({ code: f.code, count: 1, userid: f.userid })),
      },
      request_id: requestId(),
    };
  },
  "workNotification.recall": ({ args, app, ctx, now }) => {
    const task = findTask(ctx, checkAgent(app, args.agent_id), args.msg_task_id, now);
    if (now - task.createdAt > WORK_NOTIFICATION_RECALL_WINDOW_MS) {
      throw oldRefusal(40035, "不合法的参数: 消息发送超过24小时，不能撤回", "recall", true);
    }
    task.recalled = true;
    const { notifications } = ctx.appApi;
    for (const messageId of task.delivered.values()) {
      const message = notifications.message(messageId);
      if (message) message.meta = { ...message.meta, recalled: true, recalledAt: now };
    }
    return { errcode: 0, errmsg: "ok", request_id: requestId() };
  },
};
