// @ts-check
// The emulator's chat page: wires the page's controls to its modules and starts the live connection.
// Plain browser JavaScript modules, no build step, one job each:
//   state.js       what the page knows (and the shapes of the emulator's records)
//   ui.js          the page's fixed elements          status.js   the composer's status line, the live badge
//   dom.js         element helpers, safe URLs         render.js   message bodies, avatars, rejection entries
//   message-item.js  one message                      message-list.js  the open conversation's messages
//   messages.js    new and updated messages, delivery outcomes, marking read
//   conversation-list.js  the conversation list       chat.js     opening a conversation
//   composer.js    speaking as a person: text, quotes, pictures and files
//   markdown.js    DingTalk markdown and mentions     card.js     AI and interactive cards, button presses
//   media.js       pictures, files, voice, video, rich text, quotes
//   rejections.js  the rejection panel
//   events.js      the snapshot and the live events   nav.js      the drawer on narrow screens
import { pressCardButton } from "./card.js";
import { conversationFromHash, select } from "./chat.js";
import { chooseAttachment, sendAttachment, sendFromComposer, setQuote } from "./composer.js";
import { connect } from "./events.js";
import { renderMessages, showEarlier } from "./message-list.js";
import { markRead } from "./messages.js";
import { navOpen, setNavOpen } from "./nav.js";
import { renderRejections } from "./rejections.js";
import { state } from "./state.js";
import { ui } from "./ui.js";

ui.list.addEventListener("click", (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest("button.conversation");
  if (!button) return;
  select(button.getAttribute("data-id"));
  if (navOpen()) {
    setNavOpen(false);
    ui.text.disabled ? ui.messages.focus() : ui.text.focus();
  }
});
ui.toggle.addEventListener("click", () => {
  const open = ui.toggle.getAttribute("aria-expanded") !== "true";
  setNavOpen(open);
  if (open) ui.list.querySelector("button")?.focus();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && navOpen()) {
    setNavOpen(false);
    ui.toggle.focus();
  }
});
ui.composer.addEventListener("submit", (event) => void sendFromComposer(event));
ui.text.addEventListener("keydown", (event) => {
  // Enter sends; Shift+Enter is a new line; never while an IME (Chinese input) is composing.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
// "Mine" and the mark-read buttons depend on who speaks.
ui.from.addEventListener("change", () => renderMessages());
ui.messages.addEventListener("click", (event) => {
  const target = /** @type {HTMLElement} */ (event.target);
  const id = target.closest("button.mark-read")?.getAttribute("data-id");
  if (id) void markRead(id);
  if (target.closest("button.show-earlier")) showEarlier();
  const quoted = target.closest("button.quote-action")?.getAttribute("data-id");
  if (quoted) setQuote(quoted);
  const press = /** @type {HTMLButtonElement | null} */ (target.closest("button.card-action"));
  if (press && press.getAttribute("aria-disabled") !== "true") void pressCardButton(press);
});
ui.attachPicture.addEventListener("click", () => chooseAttachment("picture"));
ui.attachFile.addEventListener("click", () => chooseAttachment("file"));
ui.fileInput.addEventListener("change", () => void sendAttachment());
ui.quoteCancel.addEventListener("click", () => {
  setQuote(null);
  ui.text.focus();
});
ui.showRaw.addEventListener("change", () => document.body.classList.toggle("show-raw", ui.showRaw.checked));
window.addEventListener("hashchange", () => {
  const id = conversationFromHash();
  if (id && id !== state.selected) select(id);
});

renderRejections();
connect();
