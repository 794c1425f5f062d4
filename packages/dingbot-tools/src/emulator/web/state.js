// Shared state of the chat page: what the emulator holds, as the page last saw it.

/** Messages drawn at first per conversation; "show earlier" adds this many more. */
export const PAGE_SIZE = 500;

export const state = {
  /** @type {Map<string, any>} conversationId → conversation */
  conversations: new Map(),
  /** @type {Map<string, any>} userId → user */
  users: new Map(),
  /** @type {Map<string, any>} robotCode → app */
  apps: new Map(),
  /** @type {any[]} custom (webhook) robots, without tokens */
  robots: [],
  /** @type {any[]} every message, oldest first */
  messages: [],
  /** @type {Set<string>} */
  messageIds: new Set(),
  /** @type {any[]} */
  rejections: [],
  /** @type {Set<string>} */
  rejectionIds: new Set(),
  /** @type {string | null} */
  selected: null,
  /** @type {Map<string, number>} conversationId → unread count */
  unread: new Map(),
  /** Events that arrived while a snapshot was loading; replayed after it. @type {any[] | null} */
  buffered: null,
  /** How many of the selected conversation's newest messages are drawn. */
  shown: PAGE_SIZE,
};
