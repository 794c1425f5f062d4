// @ts-check
// The conversation list: newest activity first, with avatar, type, the last message and the unread count.
import { h } from "./dom.js";
import { colourFor, initials, preview } from "./render.js";
import { state } from "./state.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").Conversation} Conversation */
/** @typedef {import("./state.js").Message} Message */

/** The newest message of every conversation, in one pass over the log. */
function lastMessages() {
  /** @type {Map<string, Message>} */
  const last = new Map();
  for (const m of state.messages) last.set(m.conversationId, m);
  return last;
}

/**
 * The conversations, the one with the newest message (or the newest created) first.
 * @param {Map<string, Message>} [last]
 */
export function sortedConversations(last = lastMessages()) {
  /** @param {Conversation} c */
  const key = (c) => last.get(c.conversationId)?.time ?? c.createdAt ?? 0;
  return [...state.conversations.values()].sort((a, b) => key(b) - key(a));
}

let conversationsTimer = 0;
/** Coalesces list updates: a storm of messages re-renders the list a few times a second, not per message. */
export function scheduleConversations() {
  if (conversationsTimer) return;
  conversationsTimer = window.setTimeout(() => {
    conversationsTimer = 0;
    renderConversations();
  }, 50);
}

/** Draws the conversation list. */
export function renderConversations() {
  const last = lastMessages();
  const conversations = sortedConversations(last);
  ui.noConversations.hidden = conversations.length > 0;
  // Re-rendering replaces the buttons: keep a keyboard user's focus on the conversation they were on.
  const focused = document.activeElement?.closest?.("button.conversation")?.getAttribute("data-id");
  ui.list.replaceChildren(
    ...conversations.map((c) => {
      const newest = last.get(c.conversationId);
      const unread = state.unread.get(c.conversationId) ?? 0;
      const selected = c.conversationId === state.selected;
      const group = c.type !== "single";
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `conversation${selected ? " selected" : ""}`,
            "data-id": c.conversationId,
            "aria-current": selected ? "true" : null,
          },
          h(
            "span",
            {
              class: `avatar conv-avatar${group ? " group" : ""}`,
              "aria-hidden": "true",
              style: `--avatar:${colourFor(c.conversationId)}`,
            },
            initials(c.title || "?", { first: group }),
          ),
          h(
            "span",
            { class: "conv-text" },
            h(
              "span",
              { class: "conv-title-row" },
              h("span", { class: "conv-title" }, c.title || c.conversationId),
              h("span", { class: "badge badge-type" }, group ? "群" : "单聊"),
            ),
            h(
              "span",
              { class: "conv-preview" },
              newest ? `${newest.sender?.name ?? ""}: ${preview(newest)}` : "",
            ),
          ),
          unread > 0 && !selected
            ? h("span", { class: "unread", "aria-label": `${unread} 条未读` }, String(unread))
            : null,
        ),
      );
    }),
  );
  if (focused)
    /** @type {HTMLElement | null} */ (
      ui.list.querySelector(`button[data-id="${CSS.escape(focused)}"]`)
    )?.focus();
}
