// @ts-check
// Pictures, files, voice, video, rich text and quotes, as DingTalk shows them, for a person's messages and a
// robot's media replies alike. The emulator records each message's files in `meta.media` (`{kind, mediaId,
// fileName, contentType, size, downloadPath, duration?, recognition?, videoType?, cover?}`) and a quoted
// reply's quote in `meta.quote` (`{msgId, messageId, msgtype, senderName, text?}`).
import { h, image, str } from "./dom.js";
import { highlightMentions } from "./markdown.js";

/** @typedef {import("./state.js").Message} Message */
/** A message body or a part of one, as posted: any shape, read defensively. @typedef {Record<string, any>} Body */
/** @typedef {import("./markdown.js").Mentions} Mentions */

/** @typedef {import("./state.js").MediaInfo} MediaInfo */

/**
 * The files of a record, in the order they appear.
 * @param {Message} record
 * @returns {MediaInfo[]}
 */
export function mediaOf(record) {
  const media = record.meta?.media;
  return Array.isArray(media) ? media.filter((m) => m && typeof m === "object") : [];
}

/**
 * The emulator's own URL of a file (its `downloadPath`), or null for anything else: only paths under
 * `/_emulator/media/` become links or sources.
 * @param {MediaInfo | undefined} info
 * @param {{ download?: boolean }} [options]
 */
export function mediaUrl(info, { download = false } = {}) {
  const path = str(info, "downloadPath");
  if (!/^\/_emulator\/media\/[A-Za-z0-9_@.%-]+$/.test(path)) return null;
  return download ? `${path}?download` : path;
}

/**
 * `12 KB`, `3.4 MB`, as DingTalk's file bubble shows a size.
 * @param {unknown} bytes
 */
export function formatSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A picture: the emulator's file when it has one, else the URL the robot sent.
 * @param {MediaInfo | undefined} info
 * @param {string} [fallbackUrl]
 */
function picture(info, fallbackUrl) {
  const src = mediaUrl(info);
  const alt = info?.fileName ? `图片 ${info.fileName}` : "图片";
  if (!src) return image(fallbackUrl, alt, "message-image");
  return h(
    "a",
    { class: "message-image-link", href: src, target: "_blank", rel: "noopener noreferrer" },
    h("img", { class: "message-image", src, alt, loading: "lazy" }),
  );
}

/** @param {MediaInfo | undefined} info */
function fileCard(info, fallbackName = "") {
  const name = info?.fileName || fallbackName || "文件";
  const href = mediaUrl(info, { download: true });
  const ext = (/\.([A-Za-z0-9]{1,5})$/.exec(name)?.[1] ?? "").toUpperCase();
  return h(
    "div",
    { class: "card file-card", "data-title": name },
    h("span", { class: "file-icon", "aria-hidden": "true" }, ext || "📄"),
    h(
      "span",
      { class: "file-info" },
      h("span", { class: "file-name" }, name),
      h("span", { class: "file-size" }, info ? formatSize(info.size) : ""),
    ),
    href
      ? h("a", { class: "file-download", href, download: name, "aria-label": `下载 ${name}` }, "下载")
      : null,
  );
}

/**
 * Seconds as DingTalk shows a duration: `12″` (voice) or `1:05` (video).
 * @param {number} seconds
 * @param {"voice" | "video"} style
 */
function formatDuration(seconds, style) {
  const s = Math.max(0, Math.round(seconds));
  if (style === "voice") return `${s}″`;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * Voice: its length (sent in ms), a player and DingTalk's speech-to-text.
 * @param {MediaInfo | undefined} info
 * @param {Body} content the body's content (a person's) or `audio` (a robot's)
 */
function voice(info, content) {
  const ms = Number(info?.duration ?? content.duration);
  const text = str(info, "recognition") || str(content, "recognition");
  const src = mediaUrl(info);
  return h(
    "div",
    { class: "voice" },
    h(
      "div",
      { class: "voice-head" },
      h("span", { class: "voice-icon", "aria-hidden": "true" }, "🎤"),
      h("span", { class: "voice-label" }, "语音"),
      Number.isFinite(ms) ? h("span", { class: "voice-duration" }, formatDuration(ms / 1000, "voice")) : null,
    ),
    src ? h("audio", { controls: true, preload: "none", src, "aria-label": "播放语音" }) : null,
    text
      ? h("p", { class: "voice-text" }, h("span", { class: "visually-hidden" }, "识别文字："), text)
      : null,
  );
}

/**
 * Video: a player with its cover, and its length (seconds).
 * @param {MediaInfo | undefined} info
 * @param {Body} content
 */
function video(info, content) {
  const src = mediaUrl(info);
  const seconds = Number(info?.duration ?? content.duration);
  const poster = mediaUrl(info?.cover);
  return h(
    "div",
    { class: "video" },
    src
      ? h("video", {
          controls: true,
          preload: "metadata",
          src,
          poster,
          "aria-label": `视频 ${info?.fileName ?? ""}`.trim(),
        })
      : h("span", { class: "media-placeholder" }, "🎬 [视频]"),
    h(
      "span",
      { class: "video-meta" },
      "🎬 视频",
      Number.isFinite(seconds) ? ` · ${formatDuration(seconds, "video")}` : "",
    ),
  );
}

/**
 * Rich text: its texts and pictures in order (a person's pictures are files of the emulator).
 * @param {Message} record
 * @param {unknown} parts
 * @param {Mentions} mentions
 */
function richText(record, parts, mentions) {
  const files = mediaOf(record).filter((m) => m.kind === "picture" || !m.kind);
  let next = 0;
  const box = h("div", { class: "rich-text" });
  for (const part of Array.isArray(parts) ? parts : []) {
    if (!part || typeof part !== "object") continue;
    if (typeof part.text === "string") box.append(h("span", { class: "text" }, part.text));
    else if (part.type === "picture" || part.pictureDownloadCode || part.downloadCode || part.mediaId) {
      const info = files.find((f) => f.mediaId === part.mediaId) ?? files[next];
      next += 1;
      box.append(h("div", { class: "rich-picture" }, picture(info)));
    } else if (part.type === "at") {
      box.append(h("span", { class: "mention" }, `@${str(part, "atName") || str(part, "atUserId")}`));
    }
  }
  highlightMentions(box, mentions);
  return box;
}

/**
 * The bubble of a message with files, or null when the body is not one.
 * @param {Message} record
 * @param {Body} body the record's DingTalk body
 * @param {Mentions} mentions
 * @returns {HTMLElement | null}
 */
export function renderMedia(record, body, mentions) {
  const type = String(body.msgtype ?? "");
  const content = body.content && typeof body.content === "object" ? body.content : {};
  const [first] = mediaOf(record);
  switch (type) {
    case "picture":
      return picture(first);
    case "image":
      return picture(first, str(body.image, "picURL") || str(body.image, "photoURL"));
    case "audio":
    case "voice":
      return voice(first, body.audio && typeof body.audio === "object" ? body.audio : content);
    case "video":
      return video(first, body.video && typeof body.video === "object" ? body.video : content);
    case "file":
      return fileCard(first, str(content, "fileName") || str(body.file, "fileName"));
    case "richText":
      return richText(record, content.richText ?? body.richText?.richText ?? body.richText, mentions);
    default:
      return null;
  }
}

/** What a quoted message of each kind shows when it has no text. @type {Record<string, string>} */
const QUOTED_KIND = {
  picture: "[图片]",
  image: "[图片]",
  audio: "[语音]",
  video: "[视频]",
  file: "[文件]",
  richText: "[富文本]",
  interactiveCard: "[卡片]",
  markdown: "[Markdown]",
};

/**
 * The quote above a quoted reply: who wrote the quoted message and what it said.
 * @param {Message} record
 * @returns {HTMLElement | null}
 */
export function quoteBlock(record) {
  const quote = record.meta?.quote;
  if (!quote || typeof quote !== "object") return null;
  const kind = str(quote, "msgtype");
  const text = str(quote, "text") || (Object.hasOwn(QUOTED_KIND, kind) ? QUOTED_KIND[kind] : `[${kind}]`);
  return h(
    "blockquote",
    { class: "quote", "data-message-id": str(quote, "messageId") },
    h("span", { class: "visually-hidden" }, "引用 "),
    h("span", { class: "quote-sender" }, `${str(quote, "senderName")}：`),
    h("span", { class: "quote-text" }, text),
  );
}
