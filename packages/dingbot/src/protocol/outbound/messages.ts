/**
 * The five message bodies a custom robot (and a reply) can send, as zod schemas and typed builders.
 * Field names keep DingTalk's mixed capitalisation (`messageUrl` in link, `messageURL` in feedCard).
 * @module
 */
import { z } from "zod";
import { type At, AtSchema, withMentionTokens } from "./at.js";

/** `"0"` stacks buttons vertically, `"1"` lays them side by side. DingtalkChatbot sends ints; both pass. */
const Flag = z.union([z.literal("0"), z.literal("1"), z.literal(0), z.literal(1)]);
const url = z.string().min(1);

/** `msgtype: "text"`. */
export const TextMessageSchema = z.object({
  msgtype: z.literal("text"),
  text: z.object({ content: z.string().min(1) }),
  at: AtSchema.optional(),
});
/** `msgtype: "link"`. */
export const LinkMessageSchema = z.object({
  msgtype: z.literal("link"),
  link: z.object({
    title: z.string().min(1),
    text: z.string().min(1),
    messageUrl: url,
    picUrl: z.string().optional(),
  }),
});
/** `msgtype: "markdown"`. */
export const MarkdownMessageSchema = z.object({
  msgtype: z.literal("markdown"),
  markdown: z.object({ title: z.string().min(1), text: z.string().min(1) }),
  at: AtSchema.optional(),
});
/** One button of an independent-jump action card. */
export const ActionCardButtonSchema = z.object({ title: z.string().min(1), actionURL: url });
/** `msgtype: "actionCard"`: a whole-card link (`singleTitle` + `singleURL`) or independent buttons (`btns`). */
export const ActionCardMessageSchema = z.object({
  msgtype: z.literal("actionCard"),
  actionCard: z
    .object({
      title: z.string().min(1),
      text: z.string().min(1),
      singleTitle: z.string().min(1).optional(),
      singleURL: url.optional(),
      btns: z.array(ActionCardButtonSchema).min(1).optional(),
      btnOrientation: Flag.optional(),
      hideAvatar: Flag.optional(),
    })
    .refine((card) => (card.singleTitle && card.singleURL) || card.btns, {
      message: "an actionCard needs singleTitle and singleURL, or btns",
    }),
});
/** One item of a feed card. */
export const FeedCardLinkSchema = z.object({ title: z.string().min(1), messageURL: url, picURL: z.string() });
/** `msgtype: "feedCard"`. */
export const FeedCardMessageSchema = z.object({
  msgtype: z.literal("feedCard"),
  feedCard: z.object({ links: z.array(FeedCardLinkSchema).min(1) }),
});

/** Any message a custom robot accepts. */
export const RobotMessageBodySchema = z.discriminatedUnion("msgtype", [
  TextMessageSchema,
  LinkMessageSchema,
  MarkdownMessageSchema,
  ActionCardMessageSchema,
  FeedCardMessageSchema,
]);

/** A text message body. */
export type TextMessage = z.infer<typeof TextMessageSchema>;
/** A link message body. */
export type LinkMessage = z.infer<typeof LinkMessageSchema>;
/** A markdown message body. */
export type MarkdownMessage = z.infer<typeof MarkdownMessageSchema>;
/** An action card message body (either kind). */
export type ActionCardMessage = z.infer<typeof ActionCardMessageSchema>;
/** One action card button. */
export type ActionCardButton = z.infer<typeof ActionCardButtonSchema>;
/** A feed card message body. */
export type FeedCardMessage = z.infer<typeof FeedCardMessageSchema>;
/** One feed card item. */
export type FeedCardLink = z.infer<typeof FeedCardLinkSchema>;
/** Any outbound robot message body. */
export type RobotMessageBody = z.infer<typeof RobotMessageBodySchema>;
/** The `msgtype` values a custom robot accepts. */
export type RobotMsgtype = RobotMessageBody["msgtype"];
/** Every `msgtype` a custom robot accepts, in DingTalk's spelling. */
export const ROBOT_MSGTYPES: readonly RobotMsgtype[] = ["text", "link", "markdown", "actionCard", "feedCard"];

/** Options shared by the text and markdown builders. */
export interface MentionOptions {
  /** Who to mention; the `@…` tokens are appended to the text when missing (DingTalk needs them). */
  at?: At;
}

/** Builders that return plain, schema-valid message bodies. */
export const messages = {
  /** A text message, optionally mentioning people. */
  text(content: string, options: MentionOptions = {}): TextMessage {
    const body: TextMessage = { msgtype: "text", text: { content: withMentionTokens(content, options.at) } };
    return options.at ? { ...body, at: options.at } : body;
  },
  /** A markdown message; `title` shows in the notification and the conversation list. */
  markdown(title: string, text: string, options: MentionOptions = {}): MarkdownMessage {
    const body: MarkdownMessage = {
      msgtype: "markdown",
      markdown: { title, text: withMentionTokens(text, options.at) },
    };
    return options.at ? { ...body, at: options.at } : body;
  },
  /** A link card. */
  link(link: { title: string; text: string; messageUrl: string; picUrl?: string }): LinkMessage {
    return { msgtype: "link", link: { ...link } };
  },
  /** An action card whose whole surface opens one URL (整体跳转). */
  actionCard(card: {
    title: string;
    text: string;
    singleTitle: string;
    singleURL: string;
  }): ActionCardMessage {
    return { msgtype: "actionCard", actionCard: { ...card } };
  },
  /** An action card with independent buttons (独立跳转); buttons are vertical unless `horizontal` is set. */
  buttonsCard(card: {
    title: string;
    text: string;
    buttons: ActionCardButton[];
    horizontal?: boolean;
  }): ActionCardMessage {
    return {
      msgtype: "actionCard",
      actionCard: {
        title: card.title,
        text: card.text,
        btns: card.buttons,
        btnOrientation: card.horizontal ? "1" : "0",
      },
    };
  },
  /** A feed card of several linked items. */
  feedCard(links: FeedCardLink[]): FeedCardMessage {
    return { msgtype: "feedCard", feedCard: { links } };
  },
};
