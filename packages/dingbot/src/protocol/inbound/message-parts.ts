/**
 * Typed views over an inbound message: the best text of every kind, the parts of a rich text, the files a
 * message carries (what `ctx.download()` fetches) and the message a quoted reply answers. Pure functions
 * of the parsed body; they never throw.
 * @module
 */
import type { z } from "zod";
import type { InboundMessage, RepliedMessageSchema, RichTextPartSchema } from "./robot-message.js";

/** One part of a rich-text message as DingTalk sends it. */
export type RichTextPartRaw = z.infer<typeof RichTextPartSchema>;

/** One part of a rich-text message, by kind. `other` keeps a part of a kind dingbot does not know. */
export type RichTextPart =
  | { kind: "text"; text: string }
  | { kind: "picture"; downloadCode: string; pictureDownloadCode?: string }
  | { kind: "at"; atName?: string; atUserId?: string }
  | { kind: "other"; raw: RichTextPartRaw };

/** A file a message carries, to fetch with its `downloadCode` (see `ctx.download`). */
export interface MediaPart {
  /** What it is. A rich text's pictures are `picture`. */
  kind: "picture" | "audio" | "video" | "file";
  downloadCode: string;
  /** The file's name, for files. */
  fileName?: string;
  /** `mp4` and the like, for videos. */
  videoType?: string;
  /** Length as DingTalk sent it (seconds for videos, ms for voice notes: DingTalk does not document it). */
  duration?: string | number;
}

/** The message a quoted reply answers (`text.repliedMsg`). */
export type QuotedMessage = z.infer<typeof RepliedMessageSchema>;

/**
 * The parts of a rich-text message, typed by kind; `[]` for other messages and for a rich text without
 * parts. A part with text and no `type` is text (DingTalk sends `{text}` alone).
 * @param message - any inbound message
 */
export function richTextParts(message: InboundMessage): RichTextPart[] {
  if (message.msgtype !== "richText") return [];
  return message.content.richText.map(toPart);
}

function toPart(raw: RichTextPartRaw): RichTextPart {
  if (raw.type === "picture" && typeof raw.downloadCode === "string") {
    return {
      kind: "picture",
      downloadCode: raw.downloadCode,
      ...(raw.pictureDownloadCode === undefined ? {} : { pictureDownloadCode: raw.pictureDownloadCode }),
    };
  }
  if (raw.type === "at") {
    return {
      kind: "at",
      ...(raw.atName === undefined ? {} : { atName: raw.atName }),
      ...(raw.atUserId === undefined ? {} : { atUserId: raw.atUserId }),
    };
  }
  if ((raw.type === undefined || raw.type === "text") && typeof raw.text === "string") {
    return { kind: "text", text: raw.text };
  }
  return { kind: "other", raw };
}

/**
 * The best text of a message, trimmed: a text's content (the space DingTalk leaves where the @-mention was
 * is gone), the text parts of a rich text joined, the recognition of a voice note, a markdown's text, a chat
 * record's summary; for a kind dingbot does not know, `text.content` or `content.text` when there is one.
 * Undefined when the message has no text (pictures, files, videos).
 * @param message - any inbound message
 */
export function messageText(message: InboundMessage): string | undefined {
  switch (message.msgtype) {
    case "text":
      return message.text.content.trim();
    case "richText":
      return richTextParts(message)
        .map((part) => (part.kind === "text" ? part.text : ""))
        .join("")
        .trim();
    case "audio":
      return message.content.recognition?.trim();
    case "markdown":
      return message.content.text?.trim();
    case "chatRecord":
      return message.content.summary?.trim();
    case "unknown": {
      const loose = message as { text?: unknown; content?: unknown };
      const fromText = field(loose.text, "content");
      return (fromText ?? field(loose.content, "text"))?.trim();
    }
    default:
      return undefined;
  }
}

function field(holder: unknown, key: string): string | undefined {
  if (typeof holder !== "object" || holder === null) return undefined;
  const value = (holder as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

/**
 * The files a message carries, in order: one for a picture, voice note, video or file; each picture of a
 * rich text; none for the rest.
 * @param message - any inbound message
 */
export function mediaParts(message: InboundMessage): MediaPart[] {
  switch (message.msgtype) {
    case "picture":
      return [{ kind: "picture", downloadCode: message.content.downloadCode }];
    case "audio":
      return [
        {
          kind: "audio",
          downloadCode: message.content.downloadCode,
          ...(message.content.duration === undefined ? {} : { duration: message.content.duration }),
        },
      ];
    case "video":
      return [
        {
          kind: "video",
          downloadCode: message.content.downloadCode,
          ...(message.content.videoType === undefined ? {} : { videoType: message.content.videoType }),
          ...(message.content.duration === undefined ? {} : { duration: message.content.duration }),
        },
      ];
    case "file":
      return [
        {
          kind: "file",
          downloadCode: message.content.downloadCode,
          ...(message.content.fileName === undefined ? {} : { fileName: message.content.fileName }),
        },
      ];
    case "richText":
      return richTextParts(message).flatMap((part) =>
        part.kind === "picture" ? [{ kind: "picture" as const, downloadCode: part.downloadCode }] : [],
      );
    default:
      return [];
  }
}

/**
 * The message a quoted reply answers, or undefined when the message quotes nothing.
 * @param message - any inbound message
 */
export function quotedMessage(message: InboundMessage): QuotedMessage | undefined {
  if (message.msgtype !== "text" || message.text.isReplyMsg === false) return undefined;
  return message.text.repliedMsg;
}
