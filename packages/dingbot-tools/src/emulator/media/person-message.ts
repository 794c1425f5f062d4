/**
 * A person's message of any kind, from the control API's `{from, msgtype, content, atRobot, quote?}`: checked,
 * turned into the msgtype-specific part of DingTalk's callback body (`text`, or `content` with fresh
 * `downloadCode`s bound to the receiving robot), and into what the message list records for the page (file
 * name, size, content type, a download link under `/_emulator/media/…`, voice duration and recognition, the
 * quoted message).
 *
 * Callback shapes (protocol sections 2.3 and 7.1; developerpedia docs/learn/bot/message.md, the official
 * Python SDK's chatbot.py):
 * - `text`: `text.content` (groups: a leading space where `@robot` was); a quoted reply adds
 *   `text.isReplyMsg: true` and `text.repliedMsg {msgType, msgId, senderId, senderNick, createdAt, content}`.
 * - `picture`: `content {pictureDownloadCode, downloadCode}`.
 * - `audio`: `content {duration, downloadCode, recognition}`.
 * - `video`: `content {duration, videoType, downloadCode}`.
 * - `file`: `content {spaceId, fileName, downloadCode, fileId}`.
 * - `richText`: `content.richText[]` of `{text}`, `{pictureDownloadCode, downloadCode, type: "picture"}`,
 *   `{type: "at", atName, atUserId}`.
 * - `markdown` `content {text, title?}`, `interactiveCard` and `chatRecord` (`content.chatRecord` a JSON
 *   string, `content.summary`), as seen in real traffic; any other msgtype passes through with its content.
 * @module
 */
import { check, formatIssues, InboundMessageSchema } from "dingbot-sdk/protocol";
import type { EmulatorContext } from "../context.js";
import { ControlError } from "../routes/control-input.js";
import type { AppRecord, ConversationRecord, MessageRecord, UserRecord } from "../store.js";
import { fakeId } from "../store.js";
import type { MediaFile, MediaInfo } from "./media-store.js";

type Input = Record<string, unknown>;

/** A file of a recorded message, as the page shows it. */
export interface MediaRecordInfo extends MediaInfo {
  /** What it is in the message. */
  kind: "picture" | "audio" | "video" | "file";
  /** Voice: ms; video: seconds (as given). */
  duration?: number | string;
  /** Voice: DingTalk's speech-to-text. */
  recognition?: string;
  videoType?: string;
  /** Video sent by a robot: its cover picture. */
  cover?: MediaInfo;
}

/** The quoted message, as the page shows it. */
export interface QuoteRecordInfo {
  /** The quoted message's DingTalk msgId. */
  msgId: string;
  /** The quoted message's record id in `GET /_emulator/messages`. */
  messageId: string;
  msgtype: string;
  senderName: string;
  /** Its text, when it has one. */
  text?: string;
}

/** A person's message, checked and ready to record and to deliver. */
export interface PersonMessage {
  msgtype: string;
  /** The text typed (text messages), without any @-mention. */
  text?: string;
  /** The message as recorded: `{msgtype, text}` or `{msgtype, content}` with mediaIds, never codes. */
  recordBody: Record<string, unknown>;
  media: MediaRecordInfo[];
  quote?: { info: QuoteRecordInfo; message: MessageRecord };
  /** The msgtype-specific part of the callback body for a robot (mints downloadCodes bound to it). */
  callbackParts(robotCode: string, group: boolean): Record<string, unknown>;
}

/** Kinds whose content is a file of the emulator. */
const FILE_KINDS = new Set(["picture", "audio", "video", "file"]);

/**
 * Reads the control input of a person's message.
 * @param ctx - the emulator (its media store)
 * @param input - `{msgtype, content, quote?}`, or the old `{text}`
 * @param conversation - where it is written (a quote must be of this conversation)
 * @throws ControlError 400 for bad input, 404 for an unknown mediaId or quoted message
 */
export function readPersonMessage(
  ctx: EmulatorContext,
  input: Input,
  conversation: ConversationRecord,
): PersonMessage {
  const msgtype = input.msgtype ?? "text";
  if (typeof msgtype !== "string" || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(msgtype)) {
    throw new ControlError(400, "msgtype must be a word of letters and digits (at most 64)");
  }
  if (input.quote !== undefined && input.quote !== null && msgtype !== "text") {
    throw new ControlError(400, "only a text message can quote another (DingTalk's quoted reply is a text)");
  }
  if (msgtype === "text") return textMessage(ctx, input, conversation);
  const content = input.content;
  if (FILE_KINDS.has(msgtype)) return fileMessage(ctx, msgtype as MediaRecordInfo["kind"], objectOf(content));
  if (msgtype === "richText") return richTextMessage(ctx, content);
  if (msgtype === "markdown") {
    const o = typeof content === "string" ? { text: content } : objectOf(content);
    const text = stringOf(o, "text", 20_000, true) as string;
    const title = stringOf(o, "title", 200);
    const parts = { content: { text, ...(title !== undefined ? { title } : {}) } };
    return passThrough(msgtype, parts);
  }
  if (msgtype === "chatRecord") {
    const o = objectOf(content);
    const records = o.chatRecord;
    if (!Array.isArray(records) && typeof records !== "string") {
      throw new ControlError(400, "content.chatRecord must be a list of messages (or its JSON string)");
    }
    const summary = stringOf(o, "summary", 2000);
    const parts = {
      content: {
        ...o,
        chatRecord: typeof records === "string" ? records : JSON.stringify(records),
        ...(summary !== undefined ? { summary } : {}),
      },
    };
    return passThrough(msgtype, parts);
  }
  // interactiveCard, unknownMsgType and any msgtype DingTalk may add: the content passes through.
  return passThrough(msgtype, content === undefined ? {} : { content: objectOf(content) });
}

/**
 * A kind without files: sent as given, once the protocol's schema agrees it is that kind (a known msgtype
 * with the wrong shape is the caller's mistake, answered 400, not a callback DingTalk would never send).
 */
function passThrough(msgtype: string, parts: Record<string, unknown>): PersonMessage {
  const probe = { msgId: "msgprobe", conversationType: "1", conversationId: "cidprobe", senderId: "probe" };
  const checked = check(InboundMessageSchema, { ...probe, ...parts, msgtype });
  if (!checked.ok) throw new ControlError(400, `content: ${formatIssues(checked.issues)}`);
  return { msgtype, recordBody: { msgtype, ...parts }, media: [], callbackParts: () => clone(parts) };
}

function textMessage(ctx: EmulatorContext, input: Input, conversation: ConversationRecord): PersonMessage {
  const raw = input.content ?? input.text;
  const text = typeof raw === "object" && raw !== null ? (raw as Input).content : raw;
  if (typeof text !== "string" || text.trim() === "" || text.length > 20_000) {
    throw new ControlError(400, "text is required (at most 20000 characters)");
  }
  const quote =
    input.quote === undefined || input.quote === null ? undefined : findQuote(ctx, input.quote, conversation);
  return {
    msgtype: "text",
    text,
    recordBody: { msgtype: "text", text: { content: text } },
    media: [],
    ...(quote ? { quote: { info: quote.info, message: quote.message } } : {}),
    callbackParts: (robotCode, group) => ({
      text: {
        content: group ? ` ${text}` : text,
        ...(quote ? { isReplyMsg: true, repliedMsg: quote.replied(robotCode) } : {}),
      },
    }),
  };
}

function fileMessage(ctx: EmulatorContext, kind: MediaRecordInfo["kind"], o: Input): PersonMessage {
  const file = personFile(ctx, o);
  const info: MediaRecordInfo = { ...ctx.media.info(file), kind };
  const extra: Record<string, unknown> = {};
  if (kind === "audio") {
    const duration = durationOf(o, true);
    const recognition = stringOf(o, "recognition", 5000);
    info.duration = duration;
    extra.duration = duration;
    if (recognition !== undefined) {
      info.recognition = recognition;
      extra.recognition = recognition;
    }
  } else if (kind === "video") {
    const duration = durationOf(o, false) ?? "1";
    const videoType = stringOf(o, "videoType", 16) ?? extensionOf(file.fileName) ?? "mp4";
    info.duration = duration;
    info.videoType = videoType;
    extra.duration = duration;
    extra.videoType = videoType;
  } else if (kind === "file") {
    const fileName = stringOf(o, "fileName", 255) ?? file.fileName;
    info.fileName = fileName;
    extra.fileName = fileName;
  }
  const recordBody = { msgtype: kind, content: { mediaId: file.id, ...extra } };
  return {
    msgtype: kind,
    recordBody,
    media: [info],
    callbackParts: (robotCode) => {
      const code = ctx.media.mintCode(file.id, robotCode).code;
      if (kind === "picture") {
        return {
          content: { pictureDownloadCode: ctx.media.mintCode(file.id, robotCode).code, downloadCode: code },
        };
      }
      if (kind === "audio")
        return { content: { duration: extra.duration, downloadCode: code, ...pick(extra, "recognition") } };
      if (kind === "video")
        return { content: { duration: extra.duration, videoType: extra.videoType, downloadCode: code } };
      return {
        content: {
          spaceId: String(20_000_000_000 + Math.floor(Math.random() * 1e9)),
          fileName: extra.fileName,
          downloadCode: code,
          fileId: String(100_000_000_000 + Math.floor(Math.random() * 1e10)),
        },
      };
    },
  };
}

function richTextMessage(ctx: EmulatorContext, content: unknown): PersonMessage {
  const list = Array.isArray(content) ? content : objectOf(content).richText;
  if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
    throw new ControlError(400, "content.richText must be a list of 1 to 100 parts");
  }
  const media: MediaRecordInfo[] = [];
  type Part =
    | { kind: "text"; text: string }
    | { kind: "picture"; file: MediaFile }
    | { kind: "other"; raw: Input };
  const parts: Part[] = list.map((item, i) => {
    const o = objectOf(item, `content.richText[${i}]`);
    if (o.type === "picture") {
      const file = personFile(ctx, o);
      media.push({ ...ctx.media.info(file), kind: "picture" });
      return { kind: "picture", file };
    }
    if (o.type === undefined && typeof o.text === "string") return { kind: "text", text: o.text };
    if (o.type === "text" && typeof o.text === "string") return { kind: "text", text: o.text };
    return { kind: "other", raw: o };
  });
  const recordParts = parts.map((p) =>
    p.kind === "text"
      ? { text: p.text }
      : p.kind === "picture"
        ? { type: "picture", mediaId: p.file.id }
        : p.raw,
  );
  return {
    msgtype: "richText",
    recordBody: { msgtype: "richText", content: { richText: recordParts } },
    media,
    callbackParts: (robotCode) => ({
      content: {
        richText: parts.map((p) => {
          if (p.kind === "text") return { text: p.text };
          if (p.kind === "other") return clone(p.raw);
          return {
            pictureDownloadCode: ctx.media.mintCode(p.file.id, robotCode).code,
            downloadCode: ctx.media.mintCode(p.file.id, robotCode).code,
            type: "picture",
          };
        }),
      },
    }),
  };
}

/** The quoted message: `{msgId}` (a DingTalk msgId the emulator minted) or `{messageId}` (a record id). */
function findQuote(ctx: EmulatorContext, value: unknown, conversation: ConversationRecord) {
  const o = objectOf(value, "quote");
  const msgId = stringOf(o, "msgId", 256);
  const messageId = stringOf(o, "messageId", 256);
  if (msgId === undefined && messageId === undefined) {
    throw new ControlError(
      400,
      "quote needs msgId (the quoted message's msgId) or messageId (its record id)",
    );
  }
  const message = ctx.store.messages.find(
    (m) =>
      m.conversationId === conversation.conversationId &&
      ((messageId !== undefined && m.id === messageId) || (msgId !== undefined && m.meta?.msgId === msgId)),
  );
  if (!message) throw new ControlError(404, "no such message to quote in this conversation");
  if (message.meta?.msgId === undefined) message.meta = { ...message.meta, msgId: fakeId("msg", 16) };
  const quotedMsgId = String(message.meta.msgId);
  const body = message.body;
  // A robot's OpenAPI image is a picture to DingTalk's quote, as a person's is.
  const quotedType = body.msgtype === "image" ? "picture" : String(body.msgtype ?? "text");
  const text = textOf(body);
  const sender = senderOf(ctx, message);
  const info: QuoteRecordInfo = {
    msgId: quotedMsgId,
    messageId: message.id,
    msgtype: quotedType,
    senderName: message.sender.name,
    ...(text !== undefined ? { text } : {}),
  };
  const replied = (robotCode: string): Record<string, unknown> => {
    const files = (message.meta?.media as MediaRecordInfo[] | undefined) ?? [];
    let content: Record<string, unknown> = {};
    if (quotedType === "richText") {
      let fileIndex = 0;
      const parts = ((body.content as Input | undefined)?.richText as Input[] | undefined) ?? [];
      content = {
        richText: parts.map((p) => {
          if (p.type !== "picture") return clone(p);
          const file = files[fileIndex++];
          return file
            ? { type: "picture", downloadCode: ctx.media.mintCode(file.mediaId, robotCode).code }
            : clone(p);
        }),
      };
    } else if (files[0] && FILE_KINDS.has(quotedType)) {
      content = {
        downloadCode: ctx.media.mintCode(files[0].mediaId, robotCode).code,
        ...(quotedType === "file" ? { fileName: files[0].fileName } : {}),
      };
    } else if (text !== undefined) {
      content = { text };
    }
    return {
      msgType: quotedType,
      msgId: quotedMsgId,
      senderId: sender.senderId,
      ...(sender.senderNick !== undefined ? { senderNick: sender.senderNick } : {}),
      createdAt: message.time,
      content,
    };
  };
  return { info, message, replied };
}

/** The encrypted id and nick DingTalk shows for a quoted message's sender. */
function senderOf(ctx: EmulatorContext, message: MessageRecord): { senderId: string; senderNick?: string } {
  if (message.sender.kind === "user") {
    const user: UserRecord | undefined = ctx.store.users.get(message.sender.id);
    return { senderId: user?.dingtalkId ?? message.sender.id, senderNick: message.sender.name };
  }
  const app: AppRecord | undefined = ctx.store.findAppByRobotCode(message.sender.id);
  return { senderId: app?.chatbotUserId ?? message.sender.id, senderNick: message.sender.name };
}

/** The text of a recorded body, when it has one. */
function textOf(body: Record<string, unknown>): string | undefined {
  const text = (body.text as Input | undefined)?.content;
  if (typeof text === "string") return text;
  const markdown = (body.markdown as Input | undefined)?.text ?? (body.content as Input | undefined)?.text;
  return typeof markdown === "string" ? markdown : undefined;
}

/** The person's file a part names by `mediaId` (from `POST /_emulator/media`). */
function personFile(ctx: EmulatorContext, o: Input): MediaFile {
  const mediaId = stringOf(o, "mediaId", 256);
  if (mediaId === undefined) throw new ControlError(400, "mediaId (from POST /_emulator/media) is required");
  const file = ctx.media.get(mediaId, "person");
  if (!file) throw new ControlError(404, `no file ${mediaId} (upload it with POST /_emulator/media)`);
  return file;
}

function durationOf(o: Input, required: boolean): number | string | undefined {
  const value = o.duration;
  if (value === undefined || value === null) {
    if (required) throw new ControlError(400, "duration is required (ms, a whole number)");
    return undefined;
  }
  if (
    (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === "string" && /^\d{1,12}$/.test(value))
  ) {
    return value;
  }
  throw new ControlError(400, "duration must be a whole number (or a string of digits)");
}

function objectOf(value: unknown, what = "content"): Input {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ControlError(400, `${what} must be a JSON object`);
  }
  return value as Input;
}

function stringOf(o: Input, key: string, max: number, required = false): string | undefined {
  const value = o[key];
  if (value === undefined || value === null) {
    if (required) throw new ControlError(400, `${key} is required`);
    return undefined;
  }
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw new ControlError(400, `${key} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function extensionOf(fileName: string): string | undefined {
  const dot = fileName.lastIndexOf(".");
  return dot > 0 && dot < fileName.length - 1 ? fileName.slice(dot + 1).toLowerCase() : undefined;
}

function pick(o: Record<string, unknown>, key: string): Record<string, unknown> {
  return o[key] === undefined ? {} : { [key]: o[key] };
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
