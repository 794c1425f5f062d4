/**
 * The body DingTalk sends to an app robot, over the HTTP callback and inside a Stream CALLBACK frame
 * (protocol section 2.2). Lenient on purpose: unknown fields pass, DingTalk adds them over time.
 * @module
 */
import { z } from "zod";

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

/** An inbound text message. */
export const InboundTextSchema = z.looseObject({
  ...base,
  msgtype: z.literal("text"),
  text: z.looseObject({ content: z.string() }),
});
/** An inbound picture. */
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
/** One part of a rich-text message: text, or a picture. */
export const RichTextPartSchema = z.looseObject({
  text: z.string().optional(),
  type: z.string().optional(),
  downloadCode: z.string().optional(),
  pictureDownloadCode: z.string().optional(),
});
/** An inbound rich-text message (text and pictures mixed). */
export const InboundRichTextSchema = z.looseObject({
  ...base,
  msgtype: z.literal("richText"),
  content: z.looseObject({ richText: z.array(RichTextPartSchema) }),
});
/** A message type the robot cannot receive; DingTalk says so in Chinese. */
export const InboundUnknownSchema = z.looseObject({
  ...base,
  msgtype: z.literal("unknownMsgType"),
  content: z.looseObject({ unknownMsgType: z.string().optional() }).optional(),
});

/** Any message a person sends to an app robot. */
export const InboundMessageSchema = z.discriminatedUnion("msgtype", [
  InboundTextSchema,
  InboundPictureSchema,
  InboundAudioSchema,
  InboundVideoSchema,
  InboundFileSchema,
  InboundRichTextSchema,
  InboundUnknownSchema,
]);

/** Any inbound robot message. */
export type InboundMessage = z.infer<typeof InboundMessageSchema>;
/** The inbound `msgtype` values. */
export type InboundMsgtype = InboundMessage["msgtype"];
/** The inbound message narrowed to one `msgtype`. */
export type InboundMessageOf<T extends InboundMsgtype> = Extract<InboundMessage, { msgtype: T }>;
/** A mentioned person. */
export type AtUser = z.infer<typeof AtUserSchema>;
/** Every inbound `msgtype`, in DingTalk's spelling. */
export const INBOUND_MSGTYPES: readonly InboundMsgtype[] = [
  "text",
  "richText",
  "picture",
  "audio",
  "video",
  "file",
  "unknownMsgType",
];
