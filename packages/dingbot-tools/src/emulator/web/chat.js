// @ts-check
// The open conversation: choosing it (and keeping it in the URL's #c=…), its header, and redrawing the
// composer, the conversation list and the messages for it.
import { renderComposer } from "./composer.js";
import { renderConversations } from "./conversation-list.js";
import { renderMessages } from "./message-list.js";
import { robotName } from "./render.js";
import { PAGE_SIZE, state } from "./state.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").Conversation} Conversation */

/** The conversationId in the URL's `#c=…`, or "". */
export function conversationFromHash() {
  return decodeURIComponent((/^#c=(.+)$/.exec(location.hash) ?? [])[1] ?? "");
}

/**
 * Opens a conversation (null or an unknown id: none).
 * @param {string | null} conversationId
 * @param {{ focus?: boolean }} [options] focus: move the focus to the composer
 */
export function select(conversationId, { focus = false } = {}) {
  if (conversationId !== state.selected) state.shown = PAGE_SIZE;
  state.selected = conversationId && state.conversations.has(conversationId) ? conversationId : null;
  if (state.selected) {
    state.unread.delete(state.selected);
    if (location.hash !== `#c=${encodeURIComponent(state.selected)}`) {
      history.replaceState(null, "", `#c=${encodeURIComponent(state.selected)}`);
    }
  }
  const c = state.selected ? state.conversations.get(state.selected) : null;
  ui.title.textContent = c ? c.title || c.conversationId : "未选择会话";
  ui.subtitle.textContent = c ? subtitle(c) : "";
  renderComposer();
  renderConversations();
  renderMessages();
  if (focus) ui.text.focus();
}

/**
 * The header's second line: type, members and robots.
 * @param {Conversation} c
 */
function subtitle(c) {
  const people = c.members.map((id) => state.users.get(id)?.name ?? id);
  const bots = [
    ...c.robots.map(robotName),
    ...state.robots.filter((r) => r.conversationId === c.conversationId).map((r) => r.name),
  ];
  const parts = [c.type === "single" ? "单聊" : `群聊 · ${people.length} 人`];
  if (people.length > 0) parts.push(people.join("、"));
  if (bots.length > 0) parts.push(`机器人：${bots.join("、")}`);
  return parts.join(" · ");
}
