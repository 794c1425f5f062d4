/**
 * Media in a bot: `ctx.download()` fetches a file the person sent (through the robot's
 * `messageFiles/download`), and `ctx.replyImage/replyFile/replyAudio/replyVideo` answer with media through the
 * robot OpenAPI (the sessionWebhook cannot carry files): to the group, or 1:1 to the sender.
 * @module
 */
import type {
  BatchSendResult,
  DownloadedFile,
  DownloadOptions,
  Media,
  MediaSource,
  RobotTarget,
  UploadOptions,
} from "../client/index.js";
import { ValidationError } from "../errors.js";
import { type MediaPart, mediaParts } from "../protocol/inbound/message-parts.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";

/** What a context needs for media: the bot passes it; a context built without it cannot download or send. */
export interface ContextMediaServices {
  /**
   * The app's media API (built by the bot from appKey/appSecret, or its `media` option).
   * @throws ValidationError when the bot has no credentials for it
   */
  media(): Media;
}

/** Options of `ctx.download`: the limit, timeout and shape of {@link DownloadOptions}. */
export type ContextDownloadOptions = Omit<DownloadOptions, "robotCode" | "fileName">;

/** How a media reply went out: always through the robot OpenAPI, with the keys to recall it. */
export interface MediaReplyResult {
  via: "api";
  /** `processQueryKey`s of the send, for `appClient.robot.recallFrom`. */
  processQueryKeys: string[];
}

/** Options of `ctx.replyVideo`. */
export interface ReplyVideoOptions {
  /** The video (mp4, up to 20 MB). */
  video: MediaSource;
  /** Its cover picture: DingTalk requires one. */
  cover: MediaSource;
  /** Length in seconds. */
  durationSeconds: number;
  videoType?: string;
}

/** What the media helpers need of the message being answered. */
export interface MediaReplyScope {
  message: InboundMessage;
  robotCode: string | undefined;
  services: ContextMediaServices | undefined;
}

/**
 * Downloads a file of the message: the given part or downloadCode, else the message's first file.
 * @throws ValidationError when the message carries no file, or the bot has no media API
 * @throws MediaError, RequestError and friends from the download
 */
export async function downloadPart(
  scope: MediaReplyScope,
  part: MediaPart | string | undefined,
  options: ContextDownloadOptions,
): Promise<DownloadedFile<Uint8Array | ReadableStream<Uint8Array>>> {
  const chosen: MediaPart | undefined =
    typeof part === "string" ? { kind: "file", downloadCode: part } : (part ?? mediaParts(scope.message)[0]);
  if (!chosen) throw refusal("download", `a ${scope.message.msgtype} message carries no file to download`);
  const media = servicesOf(scope, "download").media();
  return media.download(chosen.downloadCode, {
    ...options,
    ...(scope.robotCode ? { robotCode: scope.robotCode } : {}),
    ...(chosen.fileName ? { fileName: chosen.fileName } : {}),
  });
}

/** Sends media back where the message came from, through `send` of the bot's media API. */
export async function replyWithMedia(
  scope: MediaReplyScope,
  what: string,
  send: (media: Media, target: RobotTarget, robotCode: { robotCode?: string }) => Promise<BatchSendResult>,
): Promise<MediaReplyResult> {
  const media = servicesOf(scope, what).media();
  const target = targetOf(scope.message, what);
  const result = await send(media, target, scope.robotCode ? { robotCode: scope.robotCode } : {});
  return { via: "api", processQueryKeys: result.processQueryKeys };
}

/** Upload options with the robot code merged in (helper for the context's one-liners). */
export function withRobot(
  options: UploadOptions,
  robotCode: { robotCode?: string },
): UploadOptions & { robotCode?: string } {
  return { ...options, ...robotCode };
}

function servicesOf(scope: MediaReplyScope, what: string): ContextMediaServices {
  if (!scope.services) throw refusal(what, `${what} needs the bot's media API (pass appKey and appSecret)`);
  return scope.services;
}

/** The group, or the sender 1:1: the robot OpenAPI addresses people by userId, which external senders lack. */
function targetOf(message: InboundMessage, what: string): RobotTarget {
  if (message.conversationType === "2") return { group: message.conversationId };
  if (!message.senderStaffId) throw refusal(what, `${what} in a 1:1 chat needs the sender's senderStaffId`);
  return { users: [message.senderStaffId] };
}

function refusal(what: string, reason: string): ValidationError {
  return new ValidationError(reason, [{ path: what, message: reason }], "outbound");
}
