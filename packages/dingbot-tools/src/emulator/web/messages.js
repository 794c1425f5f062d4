// @ts-check
// The page's message log and its changes: new messages, updated records, delivery outcomes (which can
// arrive before their message), and marking a message read.
import { scheduleConversations } from "./conversation-list.js";
import { appendMessage, redrawMessage } from "./message-list.js";
import { state } from "./state.js";
import { setStatus } from "./status.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").Message} Message */
/** @typedef {import("./state.js").Delivery} Delivery */

/** @type {Map<string, Delivery>} Delivery outcomes learnt before their message arrived, by msgId. */
const pendingDeliveries = new Map();

/**
 * Sets the delivery outcome of a person's message (found by its DingTalk msgId) and redraws it. The
 * emulator announces outcomes with `message-updated`; the composer's answer or the bot's reply can come
 * first. A known outcome is kept, except "queued", which a later one (the bot came online) replaces.
 * @param {string} msgId
 * @param {Delivery} delivery
 */
export function patchDelivery(msgId, delivery) {
  const record = state.messages.find((m) => m.meta?.msgId === msgId);
  // The composer's answer can arrive before the message's event: keep the outcome for when it does.
  if (!record) {
    pendingDeliveries.set(msgId, delivery);
    return;
  }
  if (record.meta?.delivery && !record.meta.delivery.queued) return;
  record.meta = { ...record.meta, delivery };
  redrawMessage(record);
}

/**
 * A `message-updated` event: the emulator's record replaces the page's copy (e.g. a new delivery outcome).
 * @param {Message | null | undefined} record
 */
export function updateMessage(record) {
  if (!record || !state.messageIds.has(record.id)) return;
  const index = state.messages.findIndex((m) => m.id === record.id);
  if (index < 0) return;
  state.messages[index] = record;
  redrawMessage(record);
  // A card's new state changes its conversation's preview line.
  if (record.via === "card") scheduleConversations();
}

/**
 * A new message: kept (once), drawn when its conversation is open, else counted as unread.
 * @param {Message | null | undefined} record
 * @returns {boolean} whether it was new
 */
export function addMessage(record) {
  if (!record || state.messageIds.has(record.id)) return false;
  const msgId = record.meta?.msgId;
  if (msgId && pendingDeliveries.has(msgId)) {
    if (!record.meta?.delivery) record.meta = { ...record.meta, delivery: pendingDeliveries.get(msgId) };
    pendingDeliveries.delete(msgId);
  }
  state.messageIds.add(record.id);
  state.messages.push(record);
  if (typeof record.replyTo === "string") patchDelivery(record.replyTo, { delivered: true });
  if (record.conversationId === state.selected) appendMessage(record);
  else state.unread.set(record.conversationId, (state.unread.get(record.conversationId) ?? 0) + 1);
  scheduleConversations();
  return true;
}

/**
 * Marks a work notification or OpenAPI message read as the composer's sender
 * (`POST /_emulator/messages/:id/read`), then redraws it and moves focus to its new read state.
 * @param {string} messageId
 */
export async function markRead(messageId) {
  const record = state.messages.find((m) => m.id === messageId);
  const userId = ui.from.value;
  if (!record || !userId) return;
  const response = await fetch(`/_emulator/messages/${encodeURIComponent(messageId)}/read`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    setStatus(`标记已读失败 (${response.status})：${result.error ?? response.statusText}`, "error");
    return;
  }
  record.readBy = { ...record.readBy, [userId]: result.readAt ?? Date.now() };
  /** @type {HTMLElement | null | undefined} */
  const readState = redrawMessage(record)?.querySelector(".read-state");
  readState?.setAttribute("tabindex", "-1");
  readState?.focus();
}
