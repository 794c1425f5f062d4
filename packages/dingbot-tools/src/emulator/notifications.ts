/**
 * Work-notification tasks and robot OpenAPI sends of one emulator: who they went to, which recorded
 * message each recipient got, and DingTalk's silent refusals (duplicate content, daily quota).
 * A work-notification task is processed asynchronously: it stays "processing" for
 * `notificationDelayMs`, then its messages appear in the recipients' 1:1 conversations.
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import type { AppRecord, EmulatorStore, MessageRecord } from "./store.js";

/** DingTalk's per-person daily cap of work notifications from one internal app. */
export const DAILY_NOTIFICATIONS_PER_USER = 500;

/** A work-notification send task. */
export interface WorkTask {
  taskId: number;
  appKey: string;
  agentId: number;
  createdAt: number;
  /** Epoch ms from which the task is done. */
  doneAt: number;
  msg: Record<string, unknown>;
  /** Recipients that will get the message. */
  deliverTo: string[];
  invalidUserIds: string[];
  /** Numbers, as `getsendresult` answers them (the official TopSdk declares `List<Long>`). */
  invalidDeptIds: number[];
  forbidden: { userid: string; code: string }[];
  /** userId → id of the recorded message, once settled. */
  delivered: Map<string, string>;
  settled: boolean;
  recalled: boolean;
}

/** One robot OpenAPI send (a processQueryKey). */
export interface RobotSend {
  processQueryKey: string;
  appKey: string;
  robotCode: string;
  kind: "oto" | "group";
  /** Group sends: the group. */
  conversationId?: string;
  /** userId (1:1) or conversationId (group) → recorded message id. */
  messages: Map<string, string>;
  createdAt: number;
  recalled: boolean;
}

/** Title of the 1:1 conversation in which an app's work notifications appear. */
export function workConversationKey(agentId: number): string {
  return `work-notification:${agentId}`;
}

/** The work-notification and robot-send state of one emulator. */
export class NotificationRegistry {
  readonly tasks = new Map<number, WorkTask>();
  readonly robotSends = new Map<string, RobotSend>();
  readonly #sentToday = new Map<string, number>();
  readonly #contentToday = new Set<string>();
  #nextTaskId = 256271667526;

  constructor(private readonly store: EmulatorStore) {}

  /**
   * Creates a task: decides now who is invalid or forbidden, delivers later.
   * @param delayMs - how long the task stays "processing"
   */
  createTask(
    app: AppRecord,
    input: {
      agentId: number;
      msg: Record<string, unknown>;
      userIds: string[];
      invalidUserIds: string[];
      invalidDeptIds: number[];
    },
    now: number,
    delayMs: number,
  ): WorkTask {
    const day = chinaDay(now);
    const contentHash = createHash("sha1").update(JSON.stringify(input.msg)).digest("hex");
    const task: WorkTask = {
      taskId: this.#nextTaskId++,
      appKey: app.appKey,
      agentId: input.agentId,
      createdAt: now,
      doneAt: now + delayMs,
      msg: input.msg,
      deliverTo: [],
      invalidUserIds: input.invalidUserIds,
      invalidDeptIds: input.invalidDeptIds,
      forbidden: [],
      delivered: new Map(),
      settled: false,
      recalled: false,
    };
    for (const userId of new Set(input.userIds)) {
      const contentKey = `${input.agentId}|${userId}|${day}|${contentHash}`;
      const countKey = `${input.agentId}|${userId}|${day}`;
      const count = this.#sentToday.get(countKey) ?? 0;
      // DingTalk accepts the call but silently drops these; getsendresult is the only place they show.
      if (this.#contentToday.has(contentKey)) task.forbidden.push({ userid: userId, code: "143106" });
      else if (count >= DAILY_NOTIFICATIONS_PER_USER) task.forbidden.push({ userid: userId, code: "143105" });
      else {
        this.#contentToday.add(contentKey);
        this.#sentToday.set(countKey, count + 1);
        task.deliverTo.push(userId);
      }
    }
    this.tasks.set(task.taskId, task);
    return task;
  }

  /** Delivers a task's messages if its time has come; idempotent. */
  settle(task: WorkTask, now: number, force = false): void {
    if (task.settled || (!force && now < task.doneAt)) return;
    task.settled = true;
    const app = this.store.apps.get(task.appKey);
    const name = app?.name ?? "工作通知";
    for (const userId of task.deliverTo) {
      const conversation = this.store.singleConversation(userId, workConversationKey(task.agentId), name);
      const message = this.store.recordMessage({
        conversationId: conversation.conversationId,
        sender: { kind: "app", id: app?.robotCode ?? task.appKey, name },
        via: "work-notification",
        body: task.msg,
        readBy: {},
        meta: { taskId: task.taskId, agentId: task.agentId },
      });
      task.delivered.set(userId, message.id);
    }
  }

  /** Records a robot OpenAPI send and returns its processQueryKey. */
  createRobotSend(input: Omit<RobotSend, "processQueryKey" | "recalled">): RobotSend {
    const send: RobotSend = { ...input, processQueryKey: randomUUID().replaceAll("-", ""), recalled: false };
    this.robotSends.set(send.processQueryKey, send);
    return send;
  }

  /** The recorded message by id. */
  message(id: string | undefined): MessageRecord | undefined {
    return id === undefined ? undefined : this.store.messages.find((m) => m.id === id);
  }

  /** Forgets everything. */
  clear(): void {
    this.tasks.clear();
    this.robotSends.clear();
    this.#sentToday.clear();
    this.#contentToday.clear();
  }
}

/** The calendar day in China (UTC+8), where DingTalk's daily limits reset. */
function chinaDay(now: number): number {
  return Math.floor((now + 8 * 3600_000) / 86_400_000);
}
