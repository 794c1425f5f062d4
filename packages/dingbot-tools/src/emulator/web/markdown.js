// @ts-check
// DingTalk markdown (markdown-it with html:false, DingTalk's subset) and plain text, with @-mentions
// highlighted. DOM nodes only; markdown-it's escaped output is the one innerHTML of the page.
import { h, image, safeImageUrl, safeUrl } from "./dom.js";

/** What literally appears in a text → what DingTalk shows (`@13800000000` → `@张三`). @typedef {Map<string, string>} Mentions */
/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Wraps every mention inside `root`'s text nodes in a highlighted span (DOM only, no HTML strings).
 * @param {Node} root
 * @param {Mentions} mentions
 */
export function highlightMentions(root, mentions) {
  const keys = [...mentions.keys()].filter((k) => k.length > 1).sort((a, b) => b.length - a.length);
  if (keys.length === 0) return;
  const pattern = new RegExp(keys.map(escapeRegExp).join("|"), "g");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  /** @type {Text[]} */
  const nodes = [];
  while (walker.nextNode()) nodes.push(/** @type {Text} */ (walker.currentNode));
  for (const node of nodes) {
    if (node.parentElement?.closest("a, code, .mention")) continue;
    const text = node.data;
    pattern.lastIndex = 0;
    if (!pattern.test(text)) continue;
    pattern.lastIndex = 0;
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      fragment.append(text.slice(last, match.index));
      fragment.append(h("span", { class: "mention" }, mentions.get(match[0]) ?? match[0]));
      last = (match.index ?? 0) + match[0].length;
    }
    fragment.append(text.slice(last));
    node.replaceWith(fragment);
  }
}

/** markdown-it configured for DingTalk's subset; null if the library failed to load. */
const md = (() => {
  // The global of markdown-it's browser build (index.html loads it before this module runs).
  const factory = /** @type {{ markdownit?: typeof import("markdown-it").default }} */ (
    /** @type {unknown} */ (window)
  ).markdownit;
  if (typeof factory !== "function") return null;
  // breaks: DingTalk turns a single newline into a line break. Tables and strikethrough are not in its subset.
  return factory({ html: false, linkify: false, breaks: true, typographer: false }).disable([
    "table",
    "strikethrough",
  ]);
})();

/**
 * Renders DingTalk markdown into a container element.
 * @param {string} text
 * @param {Mentions} [mentions]
 */
export function markdown(text, mentions) {
  const box = h("div", { class: "markdown" });
  if (md) {
    // The only innerHTML in this file: markdown-it's output with html:false (raw HTML arrives escaped).
    const template = document.createElement("template");
    template.innerHTML = md.render(String(text ?? ""));
    for (const a of template.content.querySelectorAll("a")) {
      const href = safeUrl(a.getAttribute("href"));
      if (href) {
        a.setAttribute("href", href);
        a.setAttribute("target", "_blank");
        a.setAttribute("rel", "noopener noreferrer");
      } else a.removeAttribute("href");
    }
    for (const img of template.content.querySelectorAll("img")) {
      const src = safeImageUrl(img.getAttribute("src"));
      if (src) {
        img.setAttribute("loading", "lazy");
        img.setAttribute("referrerpolicy", "no-referrer");
      } else img.replaceWith(image(img.getAttribute("src"), img.getAttribute("alt") ?? ""));
    }
    box.append(template.content);
  } else {
    box.classList.add("plain");
    box.textContent = String(text ?? "");
  }
  if (mentions) highlightMentions(box, mentions);
  return box;
}

/**
 * Plain text with line breaks and highlighted mentions.
 * @param {string} text
 * @param {Mentions} [mentions]
 */
export function plainText(text, mentions) {
  const box = h("div", { class: "text" }, String(text ?? ""));
  if (mentions) highlightMentions(box, mentions);
  return box;
}
