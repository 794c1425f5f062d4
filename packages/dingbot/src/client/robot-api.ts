/**
 * The robot OpenAPI of one app robot: 1:1 messages to up to 20 people per call (larger lists are split),
 * group messages, read status and recall. Messages are `{msgKey, msgParam}` from the typed catalogue.
 * @module
 */
import { ValidationError } from "../errors.js";
import {
  type MsgKey,
  type MsgParam,
  type RobotTemplateMessage,
  robotMessage,
} from "../protocol/api/msg-keys.js";
import { ROBOT_BATCH_MAX } from "../protocol/api/robot.js";
import type { RobotMessageBody } from "../protocol/outbound/messages.js";
import type { CallOptions, EndpointCaller } from "./endpoint-caller.js";

/** Result of {@link RobotApi.sendToUsers}. */
export interface BatchSendResult {
  /** One per call of 20 recipients, in order. */
  processQueryKeys: string[];
  invalidUserIds: string[];
  flowControlledUserIds: string[];
}

/** Where a robot OpenAPI message goes: people 1:1 by userId, or a group by its openConversationId. */
export type RobotTarget = { users: readonly string[] } | { group: string };

/**
 * Fetches a file a person sent to a robot (`appClient.media` is one). Declared here, not imported from
 * media.ts, so robot-api.ts and media.ts do not import each other.
 */
export interface RobotFileDownloader {
  download(
    downloadCode: string,
    options: {
      robotCode: string;
      maxBytes?: number;
      timeoutMs?: number;
      signal?: AbortSignal;
      fileName?: string;
    },
  ): Promise<{ data: Uint8Array; fileName?: string; contentType?: string; size?: number }>;
}

/** The robot OpenAPI of one robot. */
export class RobotApi {
  constructor(
    private readonly client: EndpointCaller,
    /** The robot that sends (for internal apps, the appKey). */
    readonly robotCode: string,
    /** What {@link downloadFile} uses; the app client passes its `media`. */
    private readonly downloader?: RobotFileDownloader,
  ) {}

  /**
   * Downloads a file a person sent to this robot, by the message's `downloadCode`: DingTalk's
   * `messageFiles/download` gives a short-lived URL, which is fetched with a size limit (default 20 MiB)
   * and a timeout (default 60 s). For a stream, use `appClient.media.download(code, { as: "stream" })`.
   * @throws MediaError `download-code`, `download-failed` or `too-large`; RequestError on a timeout
   * @throws TypeError when this RobotApi was built without a downloader
   */
  async downloadFile(
    downloadCode: string,
    options: { maxBytes?: number; timeoutMs?: number; signal?: AbortSignal; fileName?: string } = {},
  ): Promise<{ data: Uint8Array; fileName?: string; contentType?: string; size?: number }> {
    if (!this.downloader) throw new TypeError("this RobotApi has no downloader; use appClient.robot");
    return this.downloader.download(downloadCode, { ...options, robotCode: this.robotCode });
  }

  /**
   * Sends a message 1:1 to people by userid, 20 per call.
   * @param userIds - staff userids (not unionIds)
   * @param message - from {@link robotMessage} or {@link toRobotTemplate}
   * @throws ValidationError for an empty list; ApiError for DingTalk's refusals
   */
  async sendToUsers(
    userIds: readonly string[],
    message: RobotTemplateMessage,
    options: CallOptions = {},
  ): Promise<BatchSendResult> {
    if (userIds.length === 0) throw invalid("sendToUsers needs at least one userId");
    const result: BatchSendResult = { processQueryKeys: [], invalidUserIds: [], flowControlledUserIds: [] };
    for (const chunk of chunks(userIds, ROBOT_BATCH_MAX)) {
      const answer = await this.client.call(
        "robot.batchSendOto",
        { robotCode: this.robotCode, userIds: chunk, msgKey: message.msgKey, msgParam: message.msgParam },
        options,
      );
      result.processQueryKeys.push(answer.processQueryKey);
      result.invalidUserIds.push(...answer.invalidStaffIdList);
      result.flowControlledUserIds.push(...answer.flowControlledStaffIdList);
    }
    return result;
  }

  /**
   * Sends a message to a group the robot is in.
   * @param openConversationId - the group's id (a message's `conversationId`)
   */
  async sendToGroup(
    openConversationId: string,
    message: RobotTemplateMessage,
    options: CallOptions = {},
  ): Promise<{ processQueryKey: string }> {
    const answer = await this.client.call(
      "robot.orgGroupSend",
      { robotCode: this.robotCode, openConversationId, msgKey: message.msgKey, msgParam: message.msgParam },
      options,
    );
    return { processQueryKey: answer.processQueryKey };
  }

  /**
   * Sends a message 1:1 or to a group, by target; a group send's key comes back as the one processQueryKey.
   * @param target - `{ users: ["u1"] }` or `{ group: "cid…" }`
   * @param message - from {@link robotMessage} or {@link toRobotTemplate}
   */
  async sendTo(
    target: RobotTarget,
    message: RobotTemplateMessage,
    options: CallOptions = {},
  ): Promise<BatchSendResult> {
    if ("users" in target) return this.sendToUsers(target.users, message, options);
    const { processQueryKey } = await this.sendToGroup(target.group, message, options);
    return { processQueryKeys: [processQueryKey], invalidUserIds: [], flowControlledUserIds: [] };
  }

  /**
   * Recalls messages sent by {@link sendTo} (within 24 h): 1:1 keys through `otoMessages/batchRecall`, group
   * keys through `groupMessages/recall`.
   */
  async recallFrom(target: RobotTarget, processQueryKeys: readonly string[], options: CallOptions = {}) {
    if ("users" in target) return this.recall(processQueryKeys, options);
    return this.recallGroup(target.group, processQueryKeys, options);
  }

  /** Sends a typed template 1:1: `send("sampleText", {content: "hi"}, ["u1"])`. */
  async send<K extends MsgKey>(
    msgKey: K,
    msgParam: MsgParam<K>,
    userIds: readonly string[],
    options: CallOptions = {},
  ) {
    return this.sendToUsers(userIds, robotMessage(msgKey, msgParam), options);
  }

  /** Who read a 1:1 message. */
  async readStatus(processQueryKey: string, options: CallOptions = {}) {
    return this.client.call("robot.batchOtoQuery", { robotCode: this.robotCode, processQueryKey }, options);
  }

  /** Who in the group read a message (one page; pass `nextToken` for the next). */
  async groupReadStatus(
    openConversationId: string,
    processQueryKey: string,
    page: { maxResults?: number; nextToken?: string } = {},
    options: CallOptions = {},
  ) {
    return this.client.call(
      "robot.orgGroupQuery",
      { robotCode: this.robotCode, openConversationId, processQueryKey, ...page },
      options,
    );
  }

  /** Recalls 1:1 messages (within 24 h), 20 keys per call. */
  async recall(processQueryKeys: readonly string[], options: CallOptions = {}) {
    const merged = { successResult: [] as string[], failedResult: {} as Record<string, string> };
    for (const chunk of chunks(processQueryKeys, ROBOT_BATCH_MAX)) {
      const answer = await this.client.call(
        "robot.batchRecallOto",
        { robotCode: this.robotCode, processQueryKeys: chunk },
        options,
      );
      merged.successResult.push(...answer.successResult);
      Object.assign(merged.failedResult, answer.failedResult);
    }
    return merged;
  }

  /** Recalls group messages. */
  async recallGroup(
    openConversationId: string,
    processQueryKeys: readonly string[],
    options: CallOptions = {},
  ) {
    return this.client.call(
      "robot.orgGroupRecall",
      { robotCode: this.robotCode, openConversationId, processQueryKeys: [...processQueryKeys] },
      options,
    );
  }
}

/**
 * Converts a robot message body (text, markdown, link, actionCard, feedCard) into the OpenAPI template that
 * shows the same thing. Buttons: 1 → sampleActionCard, 2 side by side → sampleActionCard6, 2–5 stacked →
 * sampleActionCard2…5. A feedCard becomes a markdown list of its links.
 * @throws ValidationError for an action card with more than 5 buttons
 */
export function toRobotTemplate(body: RobotMessageBody): RobotTemplateMessage {
  switch (body.msgtype) {
    case "text":
      return robotMessage("sampleText", { content: body.text.content });
    case "markdown":
      return robotMessage("sampleMarkdown", { title: body.markdown.title, text: body.markdown.text });
    case "link":
      return robotMessage("sampleLink", {
        title: body.link.title,
        text: body.link.text,
        messageUrl: body.link.messageUrl,
        picUrl: body.link.picUrl ?? "",
      });
    case "actionCard":
      return actionCardTemplate(body.actionCard);
    case "feedCard": {
      const lines = body.feedCard.links.map((l) => `- [${l.title}](${l.messageURL})`);
      return robotMessage("sampleMarkdown", {
        title: body.feedCard.links[0]?.title ?? "links",
        text: lines.join("\n"),
      });
    }
  }
}

type ActionCard = Extract<RobotMessageBody, { msgtype: "actionCard" }>["actionCard"];

function actionCardTemplate(card: ActionCard): RobotTemplateMessage {
  const { title, text } = card;
  const buttons = card.btns ?? [];
  if (buttons.length === 0) {
    return robotMessage("sampleActionCard", {
      title,
      text,
      singleTitle: card.singleTitle ?? "",
      singleURL: card.singleURL ?? "",
    });
  }
  if (buttons.length === 1) {
    const [b] = buttons as [(typeof buttons)[number]];
    return robotMessage("sampleActionCard", { title, text, singleTitle: b.title, singleURL: b.actionURL });
  }
  if (buttons.length === 2 && String(card.btnOrientation) === "1") {
    const [a, b] = buttons as [(typeof buttons)[number], (typeof buttons)[number]];
    return robotMessage("sampleActionCard6", {
      title,
      text,
      buttonTitle1: a.title,
      buttonUrl1: a.actionURL,
      buttonTitle2: b.title,
      buttonUrl2: b.actionURL,
    });
  }
  if (buttons.length > 5) throw invalid(`the robot OpenAPI shows at most 5 buttons, got ${buttons.length}`);
  const param: Record<string, string> = { title, text };
  buttons.forEach((b, i) => {
    param[`actionTitle${i + 1}`] = b.title;
    param[`actionURL${i + 1}`] = b.actionURL;
  });
  return { msgKey: `sampleActionCard${buttons.length}` as MsgKey, msgParam: JSON.stringify(param) };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function invalid(message: string): ValidationError {
  return new ValidationError(message, [{ path: "(root)", message }], "outbound");
}
