// @ts-check
// The message list of the selected conversation: drawing it (the newest PAGE_SIZE messages, more on
// request), keeping the reader's place, and redrawing or appending one message.
import { h } from "./dom.js";
import { messageItem } from "./message-item.js";
import { PAGE_SIZE, state } from "./state.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").Message} Message */

// The message list scrolls: it must be reachable with Tab so keyboard users can scroll it (WCAG 2.1.1).
ui.messages.tabIndex = 0;

/** @param {string} conversationId */
function messagesOf(conversationId) {
  return state.messages.filter((m) => m.conversationId === conversationId);
}

function nearBottom() {
  const el = ui.messages;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
  following = true;
}

/** Whether the reader is at the end of the list (updated as they scroll). */
let following = true;
ui.messages.addEventListener("scroll", () => (following = nearBottom()), { passive: true });
// Pictures and video covers load after their message is drawn and push the list down: keep a reader who was
// at the end there. (`load` does not bubble; listen in the capture phase.)
ui.messages.addEventListener(
  "load",
  (event) => {
    if (following && event.target instanceof HTMLImageElement) scrollToBottom();
  },
  true,
);
// The list gets shorter when the composer grows (a quote above the input, a taller text box): same rule.
new ResizeObserver(() => {
  if (following) scrollToBottom();
}).observe(ui.messages);

/** Draws the selected conversation's messages. */
export function renderMessages() {
  // A re-render of the same conversation (after a refresh) keeps a reader's place unless they were at the end.
  const same = ui.messages.dataset.conversation === (state.selected ?? "");
  const stick = !same || nearBottom();
  const scrollTop = ui.messages.scrollTop;
  ui.messages.dataset.conversation = state.selected ?? "";
  ui.messages.setAttribute("aria-busy", "true");
  ui.messages.replaceChildren();
  if (!state.selected) {
    ui.messages.append(h("li", { class: "empty-note" }, "选择左侧的会话 · Pick a conversation"));
  } else {
    const list = messagesOf(state.selected);
    if (list.length === 0)
      ui.messages.append(h("li", { class: "empty-note" }, "还没有消息 · No messages yet"));
    // A benchmark or a storm can put thousands of messages in one conversation: draw the newest ones, and
    // the rest on request.
    const hidden = Math.max(0, list.length - state.shown);
    if (hidden > 0) {
      ui.messages.append(
        h(
          "li",
          { class: "earlier" },
          h(
            "button",
            { type: "button", class: "show-earlier" },
            `显示更早的 ${hidden} 条 · Show ${hidden} earlier`,
          ),
        ),
      );
    }
    for (const record of list.slice(hidden)) ui.messages.append(messageItem(record));
  }
  ui.messages.removeAttribute("aria-busy");
  if (stick) scrollToBottom();
  else ui.messages.scrollTop = scrollTop;
}

/** "Show earlier": draws PAGE_SIZE more of the older messages, keeping the message that was at the top in view. */
export function showEarlier() {
  const height = ui.messages.scrollHeight;
  state.shown += PAGE_SIZE;
  renderMessages();
  ui.messages.scrollTop = ui.messages.scrollHeight - height;
}

/**
 * The list item of a message, when it is shown.
 * @param {string} id
 * @returns {HTMLElement | null}
 */
function shownItem(id) {
  return ui.messages.querySelector(`li[data-id="${CSS.escape(id)}"]`);
}

/**
 * Redraws one message in place, when it is shown.
 * @param {Message} record
 * @returns {HTMLElement | null} the new list item, or null when the message is not shown
 */
export function redrawMessage(record) {
  const shown = shownItem(record.id);
  if (!shown) return null;
  const item = messageItem(record);
  // Keep a keyboard user's place: a card redrawn after its button was pressed keeps that button focused.
  const focused =
    document.activeElement instanceof HTMLElement && shown.contains(document.activeElement)
      ? document.activeElement
      : null;
  shown.replaceWith(item);
  if (focused) {
    const action = focused.dataset.actionId;
    /** @type {HTMLElement | null} */
    const again = action
      ? item.querySelector(`button.card-action[data-action-id="${CSS.escape(action)}"]`)
      : item.querySelector(
          focused.classList.contains("quote-action") ? "button.quote-action" : "[data-none]",
        );
    (again ?? ui.messages).focus();
  }
  return item;
}

/**
 * Appends a new message of the selected conversation, following the end of the list if the reader was there.
 * @param {Message} record
 */
export function appendMessage(record) {
  const stick = nearBottom();
  ui.messages.querySelector(".empty-note")?.remove();
  ui.messages.append(messageItem(record));
  if (stick) scrollToBottom();
}
