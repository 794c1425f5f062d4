// @ts-check
// Narrow screens: the conversation list is a drawer behind the "☰ 会话" button.
import { ui } from "./ui.js";

/** Whether the drawer is open. */
export function navOpen() {
  return document.body.classList.contains("nav-open");
}

/** @param {boolean} open */
export function setNavOpen(open) {
  ui.toggle.setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("nav-open", open);
}
