// @ts-check
// Shared state of the chat page: what the emulator holds, as the page last saw it, and the shapes of it
// (the page's view of the emulator's records, as `GET /_emulator/snapshot` and the events carry them).

/**
 * @typedef {object} Conversation A group or 1:1 chat.
 * @property {string} conversationId
 * @property {"single" | "group"} type
 * @property {string} title
 * @property {string[]} members userIds
 * @property {string[]} robots robotCodes of the app robots in it
 * @property {number} [createdAt]
 */

/**
 * @typedef {object} User A person (no secrets).
 * @property {string} userId
 * @property {string} name
 * @property {string} [mobile]
 * @property {boolean} [isAdmin]
 */

/**
 * @typedef {object} App An app robot (no secret).
 * @property {string} appKey
 * @property {string} robotCode
 * @property {number} agentId
 * @property {string} name
 * @property {"http" | "stream"} [mode]
 */

/**
 * @typedef {object} Robot A custom (webhook) robot, without its token or secret.
 * @property {string} name
 * @property {string} conversationId
 */

/**
 * @typedef {object} Sender Who wrote a message.
 * @property {"user" | "robot" | "app"} kind
 * @property {string} id
 * @property {string} name
 */

/**
 * @typedef {object} Delivery Whether a person's message reached the bot.
 * @property {boolean} delivered
 * @property {number} [attempts]
 * @property {boolean} [queued] a Stream bot that is offline: delivered when it connects
 * @property {string} [error]
 */

/**
 * @typedef {object} MediaInfo One file of a message, as the emulator records it.
 * @property {string} [kind] picture, audio, video or file
 * @property {string} mediaId
 * @property {string} fileName
 * @property {string} [contentType]
 * @property {number} [size]
 * @property {string} downloadPath `/_emulator/media/<mediaId>`
 * @property {string | number} [duration]
 * @property {string} [recognition]
 * @property {string} [videoType]
 * @property {MediaInfo} [cover]
 */

/**
 * @typedef {object} MessageMeta Extras of a message (free-form; these are the ones the page reads).
 * @property {string} [msgId] a person's message: the DingTalk msgId that replies name in `replyTo`
 * @property {Delivery} [delivery] a person's message: the delivery outcome
 * @property {string} [atRobot] a person's message: the robot it was addressed to
 * @property {MediaInfo[]} [media] the message's files (pictures, voice, video, files)
 * @property {{ msgId: string; messageId: string; msgtype: string; senderName: string; text?: string }} [quote]
 *   a quoted reply: the message it quotes
 * @property {string} [outTrackId] a card's message: the card
 */

/**
 * @typedef {object} Message A message the emulator accepted.
 * @property {string} id
 * @property {number} time
 * @property {string} conversationId
 * @property {Sender} [sender]
 * @property {string} via how it arrived (webhook, user, inline-reply, session-webhook, work-notification, openapi)
 * @property {Record<string, any>} body the body as posted: any shape, read defensively
 * @property {string} [replyTo] msgId of the person's message this answers
 * @property {Record<string, number>} [readBy] read time per userId (work notifications, OpenAPI messages)
 * @property {MessageMeta & Record<string, unknown>} [meta]
 */

/**
 * @typedef {object} Rejection A request the emulator refused.
 * @property {string} id
 * @property {number} time
 * @property {string} endpoint
 * @property {string} [subject]
 * @property {number | string} [errcode]
 * @property {string} errmsg
 * @property {string} reason
 */

/**
 * @typedef {object} Snapshot Everything the page shows, from `GET /_emulator/snapshot`.
 * @property {Conversation[]} conversations
 * @property {User[]} users
 * @property {App[]} apps
 * @property {Robot[]} robots
 * @property {Message[]} messages
 * @property {Rejection[]} rejections
 */

/** @typedef {"message" | "message-updated" | "rejection" | "conversation" | "reset"} EventType */

/** Messages drawn at first per conversation; "show earlier" adds this many more. */
export const PAGE_SIZE = 500;

export const state = {
  /** @type {Map<string, Conversation>} conversationId → conversation */
  conversations: new Map(),
  /** @type {Map<string, User>} userId → user */
  users: new Map(),
  /** @type {Map<string, App>} robotCode → app */
  apps: new Map(),
  /** @type {Robot[]} custom (webhook) robots, without tokens */
  robots: [],
  /** @type {Message[]} every message, oldest first */
  messages: [],
  /** @type {Set<string>} */
  messageIds: new Set(),
  /** @type {Rejection[]} */
  rejections: [],
  /** @type {Set<string>} */
  rejectionIds: new Set(),
  /** @type {string | null} */
  selected: null,
  /** @type {Map<string, number>} conversationId → unread count */
  unread: new Map(),
  /** Events that arrived while a snapshot was loading; replayed after it. @type {Array<[EventType, any]> | null} */
  buffered: null,
  /** How many of the selected conversation's newest messages are drawn. */
  shown: PAGE_SIZE,
  /** The record id of the message the composer's next text quotes (引用), or null. @type {string | null} */
  quote: null,
};
