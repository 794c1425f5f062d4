// @ts-check
// Small DOM helpers of the chat page. Strings always become text nodes, never HTML; URLs are checked.

/** @typedef {Record<string, string | boolean | undefined | null>} Attrs */
/** @typedef {Node | string | null | undefined | false} Child */

/**
 * Creates an element with attributes and children. Strings become text nodes, never HTML.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = String(value);
    // Through the CSSOM: the page's CSP refuses style attributes, not style properties set from script.
    else if (key === "style") el.style.cssText = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * A string field of an object, or "" (message bodies come from anyone and may be any shape).
 * @param {unknown} obj
 * @param {string} key
 * @returns {string}
 */
export function str(obj, key) {
  const value =
    obj && typeof obj === "object" ? /** @type {Record<string, unknown>} */ (obj)[key] : undefined;
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

/**
 * Only these schemes become links; anything else (javascript:, data:…) is shown as plain text.
 * @param {unknown} url
 * @returns {string | null}
 */
export function safeUrl(url) {
  if (typeof url !== "string" || url.trim() === "") return null;
  try {
    // Absolute URLs only: a relative one (or a DingTalk media id such as "@lAD…") would point at the emulator.
    const parsed = new URL(url.trim());
    return ["http:", "https:", "dingtalk:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * Image sources: http(s) and data:image; DingTalk media ids (`@lAD…`) have no URL here.
 * @param {unknown} url
 * @returns {string | null}
 */
export function safeImageUrl(url) {
  if (typeof url !== "string") return null;
  if (/^data:image\/(png|jpeg|gif|webp);/i.test(url)) return url;
  const safe = safeUrl(url);
  return safe && /^https?:/.test(safe) ? safe : null;
}

/**
 * A link that opens outside the page, or the text alone when the URL is unsafe.
 * @param {string} url
 * @param {Attrs} attrs
 * @param {...Child} children
 */
export function link(url, attrs, ...children) {
  const href = safeUrl(url);
  if (!href) return h("span", { class: `${attrs?.class ?? ""} unsafe-link`.trim() }, ...children);
  return h("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" }, ...children);
}

/**
 * An image, or a grey box naming the media id / broken URL.
 * @param {string | null | undefined} url
 * @param {string} alt
 * @param {string} [cls]
 */
export function image(url, alt, cls) {
  const src = safeImageUrl(url);
  if (!src) {
    // Thumbnails are too small for the media id: an icon, with the id in the tooltip and the label.
    const small = /link-card-pic|feed-pic/.test(cls ?? "");
    const label = alt || url || "图片";
    return h(
      "span",
      {
        class: `${cls ?? ""} media-placeholder`.trim(),
        role: "img",
        "aria-label": label,
        title: String(url ?? ""),
      },
      small ? "🖼" : `🖼 ${label}`,
    );
  }
  return h("img", { class: cls, src, alt: alt || "", loading: "lazy", referrerpolicy: "no-referrer" });
}
