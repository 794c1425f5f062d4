// @ts-check
// The page's two status lines: the composer's (what happened to the last send or action) and the
// connection badge (whether the live event stream is up).
import { ui } from "./ui.js";

/**
 * Sets the composer's status line; `kind` ("ok", "error", "pending", "queued", "info" or "") styles it.
 * @param {string} text
 * @param {string} kind
 */
export function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

/**
 * Sets the connection badge in the top bar.
 * @param {"live" | "reconnecting" | "error"} kind
 * @param {string} text
 */
export function setConnection(kind, text) {
  ui.connection.dataset.state = kind;
  ui.connection.textContent = text;
}
