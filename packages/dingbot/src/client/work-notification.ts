/**
 * Work notifications (工作通知): send to people, departments or everyone; follow the asynchronous task
 * until it is done; and report what happened to each recipient.
 * @module
 */
import { ValidationError } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  FORBIDDEN_CODES,
  SEND_PROGRESS_STATUS,
  WORK_NOTIFICATION_MAX_DEPTS,
  WORK_NOTIFICATION_MAX_USERS,
  type WorkMsg,
} from "../protocol/api/work-notification.js";
import type { RobotMessageBody } from "../protocol/outbound/messages.js";
import type { CallOptions, EndpointCaller } from "./endpoint-caller.js";
import type { Sleep } from "./retry.js";

/** Who receives a work notification; at least one field must be set. */
export interface WorkNotificationTarget {
  userIds?: readonly string[];
  deptIds?: readonly (string | number)[];
  /** The whole organisation. */
  toAll?: boolean;
}

/** Progress of a send task. */
export interface SendProgress {
  percent: number;
  /** 0 not started, 1 processing, 2 done. */
  status: number;
  done: boolean;
}

/** What happened to one recipient. */
export type RecipientOutcomeKind = "read" | "unread" | "invalid" | "forbidden" | "failed" | "pending";

/** One recipient's outcome. */
export interface RecipientOutcome {
  userId: string;
  outcome: RecipientOutcomeKind;
  /** For `forbidden`: DingTalk's reason code (e.g. `143106`) and its meaning, when DingTalk gave one. */
  reason?: { code: string; meaning: string };
}

/** Result of {@link WorkNotifications.sendAndConfirm}. */
export interface DeliveryReport {
  taskId: number;
  /** Whether DingTalk finished the task before the wait ran out. */
  done: boolean;
  recipients: RecipientOutcome[];
  /** Department ids DingTalk did not know, as numbers (DingTalk's `invalid_dept_id_list`). */
  invalidDeptIds: number[];
  /** Every recipient got the message (read or unread) and no department id was invalid. */
  allDelivered: boolean;
}

/** Options of {@link WorkNotifications.confirm}. */
export interface ConfirmOptions extends CallOptions {
  /** Give up polling after this many ms (default 60000). */
  timeoutMs?: number;
  /** First wait between polls in ms (default 200); it grows by half each time up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Longest wait between polls in ms (default 3000). */
  maxDelayMs?: number;
  /** Called after each progress poll (the CLI prints it on stderr). */
  onProgress?: (progress: SendProgress) => void;
}

/** Builders of work-notification `msg` objects. */
export const workMessages = {
  /** Plain text. */
  text: (content: string): WorkMsg => ({ msgtype: "text", text: { content } }),
  /** Markdown; `title` shows in the notification list. */
  markdown: (title: string, text: string): WorkMsg => ({ msgtype: "markdown", markdown: { title, text } }),
  /** A link card. */
  link: (link: { title: string; text: string; messageUrl: string; picUrl: string }): WorkMsg => ({
    msgtype: "link",
    link: { ...link },
  }),
  /** An action card whose whole surface opens one URL. */
  actionCard: (card: {
    title: string;
    markdown: string;
    singleTitle: string;
    singleUrl: string;
  }): WorkMsg => ({
    msgtype: "action_card",
    action_card: {
      title: card.title,
      markdown: card.markdown,
      single_title: card.singleTitle,
      single_url: card.singleUrl,
    },
  }),
  /** An action card with buttons; vertical unless `horizontal`. */
  buttonsCard: (card: {
    title: string;
    markdown: string;
    buttons: { title: string; actionUrl: string }[];
    horizontal?: boolean;
  }): WorkMsg => ({
    msgtype: "action_card",
    action_card: {
      title: card.title,
      markdown: card.markdown,
      btn_orientation: card.horizontal ? "1" : "0",
      btn_json_list: card.buttons.map((b) => ({ title: b.title, action_url: b.actionUrl })),
    },
  }),
  /** An image uploaded with `/media/upload`. */
  image: (mediaId: string): WorkMsg => ({ msgtype: "image", image: { media_id: mediaId } }),
  /** A voice clip (AMR) and its length in seconds. */
  voice: (mediaId: string, durationSeconds: number): WorkMsg => ({
    msgtype: "voice",
    voice: { media_id: mediaId, duration: String(Math.round(durationSeconds)) },
  }),
  /** A file. */
  file: (mediaId: string): WorkMsg => ({ msgtype: "file", file: { media_id: mediaId } }),
  /** An OA card (pass the `oa` object as DingTalk spells it). */
  oa: (oa: Extract<WorkMsg, { msgtype: "oa" }>["oa"]): WorkMsg => ({ msgtype: "oa", oa }),
};

/**
 * Converts a robot message body (what `dingbot send` builds) into a work-notification `msg`.
 * feedCard has no work-notification form and becomes a markdown list of its links.
 * @param body - a robot message body
 */
export function toWorkMsg(body: RobotMessageBody): WorkMsg {
  switch (body.msgtype) {
    case "text":
      return workMessages.text(body.text.content);
    case "markdown":
      return workMessages.markdown(body.markdown.title, body.markdown.text);
    case "link":
      return workMessages.link({ ...body.link, picUrl: body.link.picUrl ?? "" });
    case "actionCard": {
      const card = body.actionCard;
      if (card.btns) {
        return workMessages.buttonsCard({
          title: card.title,
          markdown: card.text,
          buttons: card.btns.map((b) => ({ title: b.title, actionUrl: b.actionURL })),
          horizontal: String(card.btnOrientation) === "1",
        });
      }
      return workMessages.actionCard({
        title: card.title,
        markdown: card.text,
        singleTitle: card.singleTitle ?? "",
        singleUrl: card.singleURL ?? "",
      });
    }
    case "feedCard": {
      const lines = body.feedCard.links.map((l) => `- [${l.title}](${l.messageURL})`);
      return workMessages.markdown(body.feedCard.links[0]?.title ?? "links", lines.join("\n"));
    }
  }
}

/** Internals the client passes in. */
export interface WorkNotificationDeps {
  sleep: Sleep;
  now: () => number;
  logger: Logger;
}

/** The work-notification calls of one app. */
export class WorkNotifications {
  constructor(
    private readonly client: EndpointCaller,
    private readonly deps: WorkNotificationDeps,
  ) {}

  /**
   * Starts sending; DingTalk delivers asynchronously.
   * @returns the task id for progress, result and recall
   * @throws ValidationError without agentId or recipients, or with too many
   */
  async send(
    target: WorkNotificationTarget,
    msg: WorkMsg,
    options: CallOptions = {},
  ): Promise<{ taskId: number }> {
    const userIds = target.userIds ?? [];
    const deptIds = target.deptIds ?? [];
    if (userIds.length === 0 && deptIds.length === 0 && !target.toAll) {
      throw invalid("a work notification needs userIds, deptIds or toAll");
    }
    if (userIds.length > WORK_NOTIFICATION_MAX_USERS) {
      throw invalid(
        `at most ${WORK_NOTIFICATION_MAX_USERS} userIds per work notification, got ${userIds.length}`,
      );
    }
    if (deptIds.length > WORK_NOTIFICATION_MAX_DEPTS) {
      throw invalid(
        `at most ${WORK_NOTIFICATION_MAX_DEPTS} deptIds per work notification, got ${deptIds.length}`,
      );
    }
    const answer = await this.client.call(
      "workNotification.send",
      {
        agent_id: this.#agentId(),
        msg,
        ...(userIds.length > 0 ? { userid_list: userIds.join(",") } : {}),
        ...(deptIds.length > 0 ? { dept_id_list: deptIds.join(",") } : {}),
        ...(target.toAll ? { to_all_user: true } : {}),
      },
      options,
    );
    return { taskId: answer.task_id };
  }

  /** Progress of a task. */
  async getProgress(taskId: number, options: CallOptions = {}): Promise<SendProgress> {
    const answer = await this.client.call(
      "workNotification.getProgress",
      { agent_id: this.#agentId(), task_id: taskId },
      options,
    );
    const { progress_in_percent: percent, status } = answer.progress;
    return { percent, status, done: status === SEND_PROGRESS_STATUS.DONE };
  }

  /** DingTalk's raw per-recipient lists of a task. */
  async getResult(taskId: number, options: CallOptions = {}) {
    const answer = await this.client.call(
      "workNotification.getResult",
      { agent_id: this.#agentId(), task_id: taskId },
      options,
    );
    return answer.send_result;
  }

  /**
   * Recalls a sent notification (within 24 hours).
   * @throws ApiError when DingTalk refuses (too old, unknown task)
   */
  async recall(taskId: number, options: CallOptions = {}): Promise<void> {
    await this.client.call(
      "workNotification.recall",
      { agent_id: this.#agentId(), msg_task_id: taskId },
      options,
    );
  }

  /**
   * Sends, waits until DingTalk has processed the task (bounded, backing off), and reports each recipient.
   * @example
   * const report = await client.workNotifications.sendAndConfirm({ userIds: ["u1"] }, workMessages.text("hi"));
   * if (!report.allDelivered) console.log(report.recipients.filter((r) => r.outcome !== "unread" && r.outcome !== "read"));
   */
  async sendAndConfirm(
    target: WorkNotificationTarget,
    msg: WorkMsg,
    options: ConfirmOptions = {},
  ): Promise<DeliveryReport> {
    const { taskId } = await this.send(target, msg, options);
    return this.confirm(taskId, target.userIds ?? [], options);
  }

  /**
   * Polls a task until it is done or the wait runs out, then reads the result.
   * @param taskId - from {@link send}
   * @param expectedUserIds - the userids it was sent to; those missing from every list are `pending`
   */
  async confirm(
    taskId: number,
    expectedUserIds: readonly string[] = [],
    options: ConfirmOptions = {},
  ): Promise<DeliveryReport> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const maxDelay = options.maxDelayMs ?? 3000;
    let delay = options.initialDelayMs ?? 200;
    const deadline = this.deps.now() + timeoutMs;
    let done = false;
    for (;;) {
      const progress = await this.getProgress(taskId, options);
      options.onProgress?.(progress);
      if (progress.done) {
        done = true;
        break;
      }
      const left = deadline - this.deps.now();
      if (left <= 0) break;
      await this.deps.sleep(Math.min(delay, left), options.signal);
      delay = Math.min(maxDelay, Math.round(delay * 1.5));
    }
    const result = await this.getResult(taskId, options);
    return buildReport(taskId, done, expectedUserIds, result);
  }

  #agentId(): number {
    if (this.client.agentId === undefined) {
      throw invalid("work notifications need the app's agentId (option agentId, env DINGTALK_AGENT_ID)");
    }
    return this.client.agentId;
  }
}

function invalid(message: string): ValidationError {
  return new ValidationError(message, [{ path: "(root)", message }], "outbound");
}

type SendResultLists = Awaited<ReturnType<WorkNotifications["getResult"]>>;

/** Turns DingTalk's lists into one outcome per recipient; a person in several lists gets the worst. */
export function buildReport(
  taskId: number,
  done: boolean,
  expected: readonly string[],
  result: SendResultLists,
): DeliveryReport {
  const outcomes = new Map<string, RecipientOutcome>();
  const put = (userId: string, outcome: RecipientOutcome) => {
    if (!outcomes.has(userId)) outcomes.set(userId, outcome);
  };
  for (const id of result.invalid_user_id_list) put(id, { userId: id, outcome: "invalid" });
  for (const entry of result.forbidden_list) {
    const meaning = FORBIDDEN_CODES[entry.code] ?? "DingTalk did not deliver it";
    put(entry.userid, { userId: entry.userid, outcome: "forbidden", reason: { code: entry.code, meaning } });
  }
  for (const id of result.forbidden_user_id_list) put(id, { userId: id, outcome: "forbidden" });
  for (const id of result.failed_user_id_list) put(id, { userId: id, outcome: "failed" });
  for (const id of result.read_user_id_list) put(id, { userId: id, outcome: "read" });
  for (const id of result.unread_user_id_list) put(id, { userId: id, outcome: "unread" });
  for (const id of expected) put(id, { userId: id, outcome: "pending" });
  const recipients = [...outcomes.values()];
  const allDelivered =
    done &&
    result.invalid_dept_id_list.length === 0 &&
    recipients.every((r) => r.outcome === "read" || r.outcome === "unread");
  return { taskId, done, recipients, invalidDeptIds: [...result.invalid_dept_id_list], allDelivered };
}
