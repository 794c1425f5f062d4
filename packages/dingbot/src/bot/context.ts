/**
 * Context: one inbound message with camel-cased getters over DingTalk's fields, and reply helpers.
 * @module
 */
import { randomUUID } from "node:crypto";
import type {
  CardData,
  CardPrivateDataInput,
  Cards,
  CardTarget,
  DownloadedFile,
  MediaSource,
  UploadOptions,
} from "../client/index.js";
import { ValidationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { AI_CARD_TEMPLATE_ID } from "../protocol/api/cards.js";
import {
  type MediaPart,
  mediaParts,
  messageText,
  type QuotedMessage,
  quotedMessage,
} from "../protocol/inbound/message-parts.js";
import type { AtUser, InboundMessage } from "../protocol/inbound/robot-message.js";
import type { At } from "../protocol/outbound/at.js";
import { type ActionCardButton, type FeedCardLink, messages } from "../protocol/outbound/messages.js";
import {
  type ReplyStreamOptions,
  type ReplyStreamResult,
  type StreamingCardHandle,
  type StreamSource,
  type StreamTimer,
  streamAiCard,
  withStreaming,
} from "./card-stream.js";
import {
  type ContextDownloadOptions,
  type ContextMediaServices,
  downloadPart,
  type MediaReplyResult,
  type MediaReplyScope,
  type ReplyVideoOptions,
  replyWithMedia,
  withRobot,
} from "./download.js";
import type { Replier, ReplyResult } from "./replier.js";
import type { ReplyBody, Update } from "./transports/transport.js";

/** Who a text or markdown reply mentions: `true` for the sender, or an explicit `at` object. */
export interface ReplyMentionOptions {
  at?: boolean | At;
}

/** What a context needs for cards: the bot passes it; a context built without it cannot send cards. */
export interface ContextCardServices {
  /**
   * The app's card API (built by the bot from appKey/appSecret, or its `cards` option).
   * @throws when the bot has no way to call the card API
   */
  cards(): Cards;
  /** Clock and timers of streamed replies (tests inject a manual one). */
  timer?: StreamTimer;
}

/** What `ctx.replyCard` sends. */
export interface ReplyCardOptions {
  /** The card template's id. */
  templateId: string;
  /** Public card data. */
  data: CardData;
  /** Data only some people see, by userId. */
  privateData?: CardPrivateDataInput;
  /** Where button callbacks go (default `STREAM`). */
  callbackType?: "STREAM" | "HTTP";
  /** For `HTTP` callbacks: the registered route key. */
  callbackRouteKey?: string;
  /** The card's id (default a random UUID). */
  outTrackId?: string;
}

/** The message a handler is answering, and the ways to answer it. */
export class Context {
  /** What the last matching `hears` or `command` captured (the text, the RegExp match, the arguments). */
  match: string | RegExpMatchArray | undefined;
  /** Free space for middleware to pass data down the stack. */
  readonly state: Record<string, unknown> = {};
  #text: string | undefined | null = null;

  /**
   * @param update - the update the transport delivered
   * @param replier - delivers replies for this update
   * @param logger - the bot's logger
   * @param robotCode - the bot's configured robotCode, used when the message carries none
   * @param cardServices - the card API and timers (the bot passes them; without them cards are refused)
   * @param mediaServices - the media API (the bot passes it; without it downloads and media replies are refused)
   */
  constructor(
    readonly update: Update,
    private readonly replier: Replier,
    readonly logger: Logger,
    private readonly defaultRobotCode?: string,
    private readonly cardServices?: ContextCardServices,
    private readonly mediaServices?: ContextMediaServices,
  ) {}

  /** The inbound message, typed by `msgtype` (narrowed inside `bot.on(...)`). */
  get message(): InboundMessage {
    return this.update.message;
  }
  /** The message's `msgtype`. */
  get msgtype(): InboundMessage["msgtype"] {
    return this.update.message.msgtype;
  }
  /** DingTalk's message id (`msgId`), the de-duplication key. */
  get msgId(): string {
    return this.update.message.msgId;
  }
  /** The conversation (`cid…`); for groups this is the openConversationId the OpenAPI wants. */
  get conversationId(): string {
    return this.update.message.conversationId;
  }
  /** `"1"` for a 1:1 chat, `"2"` for a group. */
  get conversationType(): "1" | "2" {
    return this.update.message.conversationType;
  }
  /** Whether the message came from a group chat. */
  get isGroup(): boolean {
    return this.update.message.conversationType === "2";
  }
  /** Whether the message came from a 1:1 chat. */
  get isPrivate(): boolean {
    return this.update.message.conversationType === "1";
  }
  /** The group's title (groups only). */
  get conversationTitle(): string | undefined {
    return this.update.message.conversationTitle;
  }
  /** The sender's userId in the organisation; absent for external users. */
  get senderStaffId(): string | undefined {
    return this.update.message.senderStaffId;
  }
  /** The sender's display name. */
  get senderNick(): string | undefined {
    return this.update.message.senderNick;
  }
  /** The sender's encrypted id (`$:LWCP_v1:$…`). */
  get senderId(): string {
    return this.update.message.senderId;
  }
  /** The people the message mentions (the robot itself among them). */
  get atUsers(): AtUser[] {
    return this.update.message.atUsers ?? [];
  }
  /** Whether the robot was @-mentioned. */
  get isInAtList(): boolean {
    return this.update.message.isInAtList ?? false;
  }
  /** The robot's encrypted id. */
  get chatbotUserId(): string | undefined {
    return this.update.message.chatbotUserId;
  }
  /** The robot code (for internal apps, the appKey). */
  get robotCode(): string | undefined {
    return this.update.message.robotCode ?? this.defaultRobotCode;
  }
  /**
   * The best text of the message, trimmed (so the space DingTalk leaves where the @-mention was is gone):
   * a text's content, the text parts of a rich text, the recognition of a voice note, a markdown's text, a
   * chat record's summary; undefined for pictures, files and videos.
   */
  get text(): string | undefined {
    if (this.#text === null) this.#text = messageText(this.update.message);
    return this.#text;
  }
  /** The message a quoted reply answers (`text.repliedMsg`), or undefined when it quotes nothing. */
  get quoted(): QuotedMessage | undefined {
    return quotedMessage(this.update.message);
  }
  /** The files the message carries (a picture, voice note, video, file, or a rich text's pictures). */
  get media(): MediaPart[] {
    return mediaParts(this.update.message);
  }

  /**
   * Sends any reply body; the first reply goes inline in the HTTP response while it is open,
   * later ones through the sessionWebhook, then the OpenAPI fallback.
   * @throws ValidationError, ApiError, HttpError, RequestError, ReplyUnavailableError (see Replier.send)
   */
  reply(body: ReplyBody): Promise<ReplyResult> {
    return this.replier.send(body);
  }
  /**
   * Replies with text.
   * @param options - `at: true` mentions the sender
   * @example
   * await ctx.replyText(`you said: ${ctx.text}`, { at: true });
   */
  replyText(text: string, options: ReplyMentionOptions = {}): Promise<ReplyResult> {
    const body = messages.text(text, this.#mention(options));
    // Built here with a non-empty text: valid by construction, so skip the schema check on the hot path.
    return text.length > 0 ? this.replier.sendTrusted(body) : this.replier.send(body);
  }
  /** Replies with markdown; `title` shows in the notification. */
  replyMarkdown(title: string, text: string, options: ReplyMentionOptions = {}): Promise<ReplyResult> {
    const body = messages.markdown(title, text, this.#mention(options));
    return title.length > 0 && text.length > 0 ? this.replier.sendTrusted(body) : this.replier.send(body);
  }
  /** Replies with an action card whose whole surface opens one URL (整体跳转). */
  replyActionCard(card: {
    title: string;
    text: string;
    singleTitle: string;
    singleURL: string;
  }): Promise<ReplyResult> {
    return this.reply(messages.actionCard(card));
  }
  /** Replies with an action card of independent buttons (独立跳转), vertical unless `horizontal`. */
  replyButtons(card: {
    title: string;
    text: string;
    buttons: ActionCardButton[];
    horizontal?: boolean;
  }): Promise<ReplyResult> {
    return this.reply(messages.buttonsCard(card));
  }
  /** Replies with a feed card of linked items. */
  replyFeedCard(links: FeedCardLink[]): Promise<ReplyResult> {
    return this.reply(messages.feedCard(links));
  }
  /**
   * Streams an answer into DingTalk's AI card: tokens or chunks from an async iterable, a `ReadableStream`
   * or a string. Requests are coalesced (one in flight, one per 300 ms, always the whole text so far); the
   * card ends "finished", or "failed" with a short line when the source throws (the error is rethrown). When
   * DingTalk refuses the card (QPS, permission) beyond a small retry budget, the whole text goes out as
   * markdown replies instead (the card, if opened, is marked failed), so the person always gets the answer;
   * an answer longer than the card holds (200 KB) ends the card with a note and the rest follows as markdown.
   * Card calls are paced per app and API (20 per second by default, the bot's `cardQps`).
   * @param source - the answer, in chunks
   * @param options - the card's title, interval, retry budget, error line
   * @returns how the answer went out
   * @throws what the source threw, once the card shows the text so far
   * @example
   * bot.on("text", (ctx) => ctx.replyStream(llm.stream(ctx.text), { title: "AI" }));
   */
  replyStream(source: StreamSource, options: ReplyStreamOptions = {}): Promise<ReplyStreamResult> {
    const services = this.cardServices;
    // One id for every attempt: a retried creation must not show the card twice.
    const outTrackId = randomUUID();
    return streamAiCard(
      source,
      {
        open: async (data) => {
          const cards = this.#cardsFor("replyStream");
          return cards.send({
            templateId: AI_CARD_TEMPLATE_ID,
            outTrackId,
            data,
            to: this.#cardTarget("replyStream"),
            ...(this.robotCode ? { robotCode: this.robotCode } : {}),
          });
        },
        // Empty text would be refused as a markdown body; a visible placeholder is better than nothing.
        fallback: (title, text) => this.replyMarkdown(title, text.length > 0 ? text : "…"),
        logger: this.logger,
        ...(services?.timer ? { timer: services.timer } : {}),
      },
      options,
    );
  }

  /**
   * Sends a card of any template to this conversation (the group, or the sender 1:1) and returns a handle
   * to `update(data)` it or `stream(key, source)` text into one of its variables.
   * @throws ValidationError for data that cannot be sent, or a 1:1 sender without a staffId
   * @throws CardDeliveryError, ApiError and friends for DingTalk's refusals
   */
  async replyCard(card: ReplyCardOptions): Promise<StreamingCardHandle> {
    const cards = this.#cardsFor("replyCard");
    const handle = await cards.send({
      ...card,
      to: this.#cardTarget("replyCard"),
      ...(this.robotCode ? { robotCode: this.robotCode } : {}),
    });
    const timer = this.cardServices?.timer;
    return withStreaming(handle, { logger: this.logger, ...(timer ? { timer } : {}) });
  }

  /**
   * Downloads a file of the message: by default its first one (the picture, voice note, video or file, or a
   * rich text's first picture); pass one of {@link media} or a downloadCode for another. Limited in size
   * (default 20 MiB, counted as it streams) and time (default 60 s); `as: "stream"` hands back a stream.
   * @throws ValidationError when the message carries no file
   * @throws MediaError `download-code` (unknown or expired code), `too-large`, `download-failed`;
   *   RequestError on a timeout
   * @example
   * bot.on("file", async (ctx) => {
   *   const file = await ctx.download(undefined, { maxBytes: 5_000_000 });
   *   await ctx.replyText(`${file.fileName}: ${file.data.byteLength} bytes`);
   * });
   */
  download(
    part: MediaPart | string | undefined,
    options: ContextDownloadOptions & { as: "stream" },
  ): Promise<DownloadedFile<ReadableStream<Uint8Array>>>;
  download(
    part?: MediaPart | string,
    options?: ContextDownloadOptions & { as?: "bytes" },
  ): Promise<DownloadedFile<Uint8Array>>;
  download(
    part?: MediaPart | string,
    options: ContextDownloadOptions = {},
  ): Promise<DownloadedFile<Uint8Array | ReadableStream<Uint8Array>>> {
    return downloadPart(this.#mediaScope(), part, options);
  }

  /**
   * Replies with an image through the robot OpenAPI (to the group, or 1:1 to the sender): an `http(s)` URL
   * as it is, a path, bytes or a Blob uploaded first (jpg, gif, png, bmp; up to 20 MB).
   * @throws MediaError before the upload for a file DingTalk would refuse; ValidationError for a 1:1 sender
   *   without a staffId; ApiError and friends
   */
  replyImage(source: MediaSource, options: UploadOptions = {}): Promise<MediaReplyResult> {
    return replyWithMedia(this.#mediaScope(), "replyImage", (media, target, robot) =>
      media.sendImage(target, source, withRobot(options, robot)),
    );
  }
  /** Replies with a file (up to 20 MB) through the robot OpenAPI; `fileName` is what people see. */
  replyFile(source: MediaSource, options: UploadOptions = {}): Promise<MediaReplyResult> {
    return replyWithMedia(this.#mediaScope(), "replyFile", (media, target, robot) =>
      media.sendFile(target, source, withRobot(options, robot)),
    );
  }
  /** Replies with a voice note (amr, mp3 or wav, up to 2 MB) through the robot OpenAPI. */
  replyAudio(
    source: MediaSource,
    options: UploadOptions & { durationMs: number },
  ): Promise<MediaReplyResult> {
    return replyWithMedia(this.#mediaScope(), "replyAudio", (media, target, robot) =>
      media.sendAudio(target, source, { ...withRobot(options, robot), durationMs: options.durationMs }),
    );
  }
  /** Replies with a video and its cover picture through the robot OpenAPI. */
  replyVideo(video: ReplyVideoOptions): Promise<MediaReplyResult> {
    return replyWithMedia(this.#mediaScope(), "replyVideo", (media, target, robot) =>
      media.sendVideo(target, video, robot),
    );
  }

  #mediaScope(): MediaReplyScope {
    return { message: this.update.message, robotCode: this.robotCode, services: this.mediaServices };
  }

  /** Answers the HTTP callback with `{"msgtype":"empty"}` (no reply) if nothing was sent yet. */
  noReply(): Promise<ReplyResult> {
    return this.reply({ msgtype: "empty" });
  }

  #cardsFor(what: string): Cards {
    if (!this.cardServices) throw cardRefusal(`${what} needs the bot's card API (pass appKey and appSecret)`);
    return this.cardServices.cards();
  }

  /** Cards go where the message came from: the group, or the sender's 1:1 chat with the robot. */
  #cardTarget(what: string): CardTarget {
    if (this.isGroup) return { group: this.conversationId };
    const staffId = this.senderStaffId;
    // A 1:1 card is addressed by userId; external senders have none.
    if (!staffId) throw cardRefusal(`${what} in a 1:1 chat needs the sender's senderStaffId`);
    return { user: staffId };
  }

  #mention(options: ReplyMentionOptions): { at?: At } {
    if (options.at === undefined || options.at === false) return {};
    if (options.at !== true) return { at: options.at };
    const staffId = this.senderStaffId;
    if (!staffId) {
      // External senders have no staffId, and DingTalk can only @ by userId or mobile.
      this.logger.debug({ msgId: this.msgId }, "sender has no staffId; replying without a mention");
      return {};
    }
    return { at: { atUserIds: [staffId], isAtAll: false } };
  }
}

function cardRefusal(reason: string): ValidationError {
  return new ValidationError(reason, [{ path: "(root)", message: reason }], "outbound");
}
