// @ts-check
// The rejection panel: what the emulator refused and why, newest first, at most 200 entries.
import { h } from "./dom.js";
import { rejectionItem } from "./render.js";
import { state } from "./state.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").Rejection} Rejection */

/** Entries the panel shows: a rate-limit storm can refuse thousands of requests. */
const SHOWN = 200;

/** Draws the panel from the page's rejections. */
export function renderRejections() {
  ui.rejectionCount.textContent = String(state.rejections.length);
  ui.rejectionCount.dataset.zero = String(state.rejections.length === 0);
  const recent = state.rejections.slice(-SHOWN).reverse();
  ui.rejectionList.replaceChildren(
    ...(recent.length > 0
      ? recent.map(rejectionItem)
      : [h("li", { class: "empty-note" }, "没有被拒绝的请求 · Nothing rejected")]),
  );
}

/**
 * A new rejection: kept (once) and put at the top of the panel.
 * @param {Rejection | null | undefined} r
 */
export function addRejection(r) {
  if (!r || state.rejectionIds.has(r.id)) return;
  state.rejectionIds.add(r.id);
  state.rejections.push(r);
  ui.rejectionCount.textContent = String(state.rejections.length);
  ui.rejectionCount.dataset.zero = "false";
  ui.rejectionList.querySelector(".empty-note")?.remove();
  ui.rejectionList.prepend(rejectionItem(r));
  while (ui.rejectionList.children.length > SHOWN) ui.rejectionList.lastElementChild?.remove();
}
