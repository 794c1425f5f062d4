// @ts-check
// The page's fixed elements (index.html), found once by id.

/**
 * The element with this id, which index.html always has.
 * @param {string} id
 */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

export const ui = {
  connection: $("connection"),
  toggle: $("toggle-conversations"),
  list: $("conversation-list"),
  noConversations: $("no-conversations"),
  title: $("chat-title"),
  subtitle: $("chat-subtitle"),
  messages: $("messages"),
  composer: /** @type {HTMLFormElement} */ ($("composer")),
  from: /** @type {HTMLSelectElement} */ ($("composer-from")),
  robot: /** @type {HTMLSelectElement} */ ($("composer-robot")),
  text: /** @type {HTMLTextAreaElement} */ ($("composer-text")),
  send: /** @type {HTMLButtonElement} */ ($("composer-send")),
  attachPicture: /** @type {HTMLButtonElement} */ ($("composer-picture")),
  attachFile: /** @type {HTMLButtonElement} */ ($("composer-attach")),
  fileInput: /** @type {HTMLInputElement} */ ($("composer-file")),
  quote: $("composer-quote"),
  quoteText: $("composer-quote-text"),
  quoteCancel: /** @type {HTMLButtonElement} */ ($("composer-quote-cancel")),
  status: $("composer-status"),
  rejectionList: $("rejection-list"),
  showRaw: /** @type {HTMLInputElement} */ ($("show-raw")),
  rejectionCount: $("rejection-count"),
};
