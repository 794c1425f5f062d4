/**
 * The body DingTalk sends to an app robot, over the HTTP callback and inside a Stream CALLBACK frame
 * (protocol section 2.2). Lenient on purpose: unknown fields pass, DingTalk adds them over time.
 * @module
 */
import { z } from "zod";
import { MAX_JSON_DEPTH, parseJson } from "../json.js";

const downloadCode = z.string();

/** A person mentioned in the message (the robot itself appears too). */
export const AtUserSchema = z.looseObject({
  dingtalkId: z.string(),
  staffId: z.string().optional(),
  unionId: z.string().optional(),
});

const base = {
  msgId: z.string().min(1),
  createAt: z.union([z.number(), z.string()]).optional(),
  conversationType: z.enum(["1", "2"]),
  conversationId: z.string().min(1),
  conversationTitle: z.string().optional(),
  senderId: z.string(),
  senderNick: z.string().optional(),
  senderStaffId: z.string().optional(),
  senderCorpId: z.string().optional(),
  senderUnionId: z.string().optional(),
  sessionWebhook: z.string().optional(),
  sessionWebhookExpiredTime: z.number().optional(),
  isAdmin: z.boolean().optional(),
  chatbotCorpId: z.string().optional(),
  chatbotUserId: z.string().optional(),
  isInAtList: z.boolean().optional(),
  atUsers: z.array(AtUserSchema).optional(),
  robotCode: z.string().optional(),
};

/**
 * The message a quoted reply answers (`text.repliedMsg`, protocol section 7.1). Every field is optional:
 * DingTalk fills what the quoted kind has (text, a downloadCode, a file name, rich-text parts).
 */
export const RepliedMessageSchema = z.looseObject({
  msgType: z.string().optional(),
  msgId: z.string().optional(),
  senderId: z.string().optional(),
  createdAt: z.union([z.number(), z.string()]).optional(),
  content: z
    .looseObject({
      text: z.string().optional(),
      downloadCode: z.string().optional(),
      fileName: z.string().optional(),
      richText: z.array(z.looseObject({})).optional(),
    })
    .optional(),
});

/** An inbound text message; `text.isReplyMsg` and `text.repliedMsg` when it quotes another message. */
export const InboundTextSchema = z.looseObject({
  ...base,
  msgtype: z.literal("text"),
  text: z.looseObject({
    content: z.string(),
    isReplyMsg: z.boolean().optional(),
    // A quote we cannot read must not cost the person their message: it is dropped, the text is kept.
    repliedMsg: RepliedMessageSchema.optional().catch(undefined),
  }),
});
/** An inbound picture (msgtype `picture`, not `image`). */
export const InboundPictureSchema = z.looseObject({
  ...base,
  msgtype: z.literal("picture"),
  content: z.looseObject({ downloadCode, pictureDownloadCode: z.string().optional() }),
});
/** An inbound voice message, with DingTalk's speech recognition. */
export const InboundAudioSchema = z.looseObject({
  ...base,
  msgtype: z.literal("audio"),
  content: z.looseObject({
    downloadCode,
    recognition: z.string().optional(),
    duration: z.union([z.string(), z.number()]).optional(),
  }),
});
/** An inbound video. */
export const InboundVideoSchema = z.looseObject({
  ...base,
  msgtype: z.literal("video"),
  content: z.looseObject({
    downloadCode,
    duration: z.union([z.string(), z.number()]).optional(),
    videoType: z.string().optional(),
  }),
});
/** An inbound file. */
export const InboundFileSchema = z.looseObject({
  ...base,
  msgtype: z.literal("file"),
  content: z.looseObject({
    downloadCode,
    fileName: z.string().optional(),
    spaceId: z.string().optional(),
    fileId: z.string().optional(),
  }),
});
/**
 * One part of a rich-text message: `{text}`, `{type: "picture", downloadCode, pictureDownloadCode}` or
 * `{type: "at", atName, atUserId}`. Loose, as DingTalk sends it; {@link richTextParts} gives a typed view.
 */
export const RichTextPartSchema = z.looseObject({
  text: z.string().optional(),
  type: z.string().optional(),
  downloadCode: z.string().optional(),
  pictureDownloadCode: z.string().optional(),
  atName: z.string().optional(),
  atUserId: z.string().optional(),
});
/**
 * An inbound rich-text message (text, pictures and mentions mixed). A rich text without parts arrives with
 * `content.richText` empty rather than being refused.
 */
export const InboundRichTextSchema = z.looseObject({
  ...base,
  msgtype: z.literal("richText"),
  content: z.looseObject({ richText: z.array(RichTextPartSchema).default([]) }).default({ richText: [] }),
});
/** An inbound markdown message (seen in real traffic, not in the official docs): `content.text`. */
export const InboundMarkdownSchema = z.looseObject({
  ...base,
  msgtype: z.literal("markdown"),
  content: z.looseObject({ text: z.string().optional(), title: z.string().optional() }).default({}),
});
/** An inbound interactive card (seen in real traffic): `content.biz_custom_action_url`. */
export const InboundInteractiveCardSchema = z.looseObject({
  ...base,
  msgtype: z.literal("interactiveCard"),
  content: z.looseObject({ biz_custom_action_url: z.string().optional() }).default({}),
});

/** One forwarded message inside a chat record; DingTalk's fields are kept, none is guaranteed. */
export interface ChatRecordEntry {
  senderId?: string;
  senderNick?: string;
  /** The entry's kind, e.g. `text`. */
  msgType?: string;
  /** The entry's text, or its content as DingTalk sent it. */
  content?: unknown;
  createAt?: number | string;
  [key: string]: unknown;
}

/**
 * `content.chatRecord` read: the entries, or why they could not be read (`missing`; `not-json`: not JSON,
 * or nested deeper than {@link MAX_JSON_DEPTH}; `not-a-list`).
 */
export type ChatRecordParse =
  | { ok: true; entries: ChatRecordEntry[] }
  | { ok: false; reason: "missing" | "not-json" | "not-a-list" };

/**
 * Reads a chat record's `content.chatRecord`: a JSON string of a list (or, should DingTalk send it
 * parsed, the list itself). Never throws.
 * @param value - the `chatRecord` field as received
 */
export function parseChatRecord(value: unknown): ChatRecordParse {
  if (value === undefined || value === null || value === "") return { ok: false, reason: "missing" };
  let list: unknown = value;
  if (typeof value === "string") {
    const parsed = parseJson(value, MAX_JSON_DEPTH);
    if (!parsed.ok) return { ok: false, reason: "not-json" };
    list = parsed.value;
  }
  if (!Array.isArray(list)) return { ok: false, reason: "not-a-list" };
  const entries = list.filter(
    (item): item is ChatRecordEntry => typeof item === "object" && item !== null && !Array.isArray(item),
  );
  return { ok: true, entries };
}

/**
 * An inbound chat record (forwarded messages, seen in real traffic): `content.chatRecord` is a JSON string;
 * `content.records` is it read by {@link parseChatRecord} (handlers check `records.ok`).
 */
export const InboundChatRecordSchema = z.looseObject({
  ...base,
  msgtype: z.literal("chatRecord"),
  content: z
    .looseObject({ chatRecord: z.unknown().optional(), summary: z.string().optional() })
    .default({})
    .transform((content) => ({ ...content, records: parseChatRecord(content.chatRecord) })),
});
/** A message type the robot cannot receive; DingTalk says so in Chinese. */
export const InboundUnknownSchema = z.looseObject({
  ...base,
  msgtype: z.literal("unknownMsgType"),
  content: z.looseObject({ unknownMsgType: z.string().optional() }).optional(),
});
/**
 * A msgtype dingbot does not know (DingTalk adds kinds over time). Delivered to handlers rather than
 * refused: `msgtype` is `"unknown"`, `originalMsgtype` is what DingTalk sent, and every other field of the
 * body is kept as it came.
 */
export const InboundUnrecognizedSchema = z.looseObject({
  ...base,
  msgtype: z.literal("unknown"),
  originalMsgtype: z.string(),
  content: z.unknown().optional(),
});

/** Every msgtype DingTalk sends that dingbot reads, in DingTalk's spelling. */
export const INBOUND_MSGTYPES = [
  "text",
  "richText",
  "picture",
  "audio",
  "video",
  "file",
  "markdown",
  "interactiveCard",
  "chatRecord",
  "unknownMsgType",
] as const;
/** A msgtype of {@link INBOUND_MSGTYPES}. */
export type KnownInboundMsgtype = (typeof INBOUND_MSGTYPES)[number];
const KNOWN: ReadonlySet<string> = new Set(INBOUND_MSGTYPES);

const inboundUnion = z.discriminatedUnion("msgtype", [
  InboundTextSchema,
  InboundPictureSchema,
  InboundAudioSchema,
  InboundVideoSchema,
  InboundFileSchema,
  InboundRichTextSchema,
  InboundMarkdownSchema,
  InboundInteractiveCardSchema,
  InboundChatRecordSchema,
  InboundUnknownSchema,
  InboundUnrecognizedSchema,
]);

/**
 * Any message a person sends to an app robot. Open: a body whose msgtype is not one of
 * {@link INBOUND_MSGTYPES} parses as {@link InboundUnrecognizedSchema} (msgtype `"unknown"`), so the
 * transports deliver it instead of refusing it; a known msgtype must still have its shape.
 */
export const InboundMessageSchema = z.preprocess((value) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const msgtype = (value as { msgtype?: unknown }).msgtype;
  if (typeof msgtype !== "string" || KNOWN.has(msgtype)) return value;
  return { ...value, msgtype: "unknown", originalMsgtype: msgtype };
}, inboundUnion);

/** Any inbound robot message. */
export type InboundMessage = z.infer<typeof InboundMessageSchema>;
/** The inbound `msgtype` values. */
export type InboundMsgtype = InboundMessage["msgtype"];
/** The inbound message narrowed to one `msgtype`. */
export type InboundMessageOf<T extends InboundMsgtype> = Extract<InboundMessage, { msgtype: T }>;
/** A mentioned person. */
export type AtUser = z.infer<typeof AtUserSchema>;
