// @ts-check
// Renders DingTalk message bodies as DingTalk shows them, with DOM nodes only (markdown through
// markdown-it with html:false is the one exception).

import { cardPreview, renderCard } from "./card.js";
import { h, image, link, str } from "./dom.js";
import { markdown, plainText } from "./markdown.js";
import { renderMedia } from "./media.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Message} Message */
/** @typedef {import("./state.js").Rejection} Rejection */
/** @typedef {import("./state.js").Sender} Sender */
/** A message body or a part of one, as posted: any shape, read defensively. @typedef {Record<string, any>} Body */
/** @typedef {import("./markdown.js").Mentions} Mentions */

// ---------------------------------------------------------------- people, robots, avatars

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/**
 * DingTalk's avatar text: the last two characters of a Chinese name, or Latin initials.
 * @param {string} name
 * @param {{ first?: boolean }} [options] first: the first two characters of a Chinese name (groups)
 */
export function initials(name, { first = false } = {}) {
  // Groups: "运维告警群" → "运维" (the head of a group's name says what it is about).
  if (first && CJK.test(String(name)))
    return Array.from(String(name).replace(/\s+/g, "")).slice(0, 2).join("");
  // "告警机器人" → "告警": DingTalk robots are mostly named "…机器人", whose last two characters say nothing.
  const clean =
    String(name || "?")
      .trim()
      .replace(/(机器人|机器|bot)$/i, "") || String(name || "?").trim();
  if (CJK.test(clean)) return Array.from(clean.replace(/\s+/g, "")).slice(-2).join("");
  const words = clean.split(/[\s._-]+/).filter(Boolean);
  const [one, two] = words;
  const letters = one && two ? `${one[0]}${two[0]}` : clean.slice(0, 2);
  return letters.toUpperCase();
}

const AVATAR_COLOURS = [
  "#3296fa",
  "#15bc83",
  "#ff943e",
  "#f25643",
  "#8f66ff",
  "#00b8d4",
  "#5c6bc0",
  "#e66aa4",
];

/**
 * A stable avatar colour for an id or name.
 * @param {string} key
 * @returns {string}
 */
export function colourFor(key) {
  let hash = 0;
  for (const ch of String(key)) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return AVATAR_COLOURS[hash % AVATAR_COLOURS.length] ?? "#3296fa";
}

/**
 * A sender's round avatar with their initials.
 * @param {Sender} sender
 */
export function avatar(sender) {
  const isBot = sender.kind !== "user";
  return h(
    "span",
    {
      class: `avatar${isBot ? " avatar-bot" : ""}`,
      "aria-hidden": "true",
      style: `--avatar:${colourFor(sender.id || sender.name)}`,
    },
    initials(sender.name),
  );
}

/**
 * The name a robotCode goes by: its app's, or "<app>（工作通知）" for a work-notification channel.
 * @param {string} robotCode
 * @returns {string}
 */
export function robotName(robotCode) {
  const app = state.apps.get(robotCode);
  if (app) return app.name;
  // Work notifications arrive in a 1:1 keyed by the app's agentId, not by a robot.
  const work = /^work-notification:(\d+)$/.exec(String(robotCode));
  if (work) {
    const owner = [...state.apps.values()].find((a) => String(a.agentId) === work[1]);
    return `${owner ? owner.name : work[1]}（工作通知）`;
  }
  return robotCode;
}

// ---------------------------------------------------------------- mentions

/**
 * The @-mentions of a message: what literally appears in the text → what DingTalk shows.
 * DingTalk shows `@<mobile>` of a member as `@<name>`.
 * @param {Body} body
 * @returns {Mentions}
 */
function mentionsOf(body) {
  /** @type {Map<string, string>} */
  const map = new Map();
  const at = body && typeof body.at === "object" && body.at ? body.at : {};
  for (const mobile of Array.isArray(at.atMobiles) ? at.atMobiles : []) {
    const user = [...state.users.values()].find((u) => u.mobile === String(mobile));
    map.set(`@${mobile}`, `@${user ? user.name : mobile}`);
  }
  for (const userId of Array.isArray(at.atUserIds) ? at.atUserIds : []) {
    const user = state.users.get(String(userId));
    map.set(`@${userId}`, `@${user ? user.name : userId}`);
  }
  map.set("@所有人", "@所有人");
  if (at.isAtAll === true || at.isAtAll === "true") map.set("@all", "@所有人");
  for (const user of state.users.values()) map.set(`@${user.name}`, `@${user.name}`);
  for (const app of state.apps.values()) map.set(`@${app.name}`, `@${app.name}`);
  return map;
}

// ---------------------------------------------------------------- message bodies

/**
 * Turns an OpenAPI `msgKey` + `msgParam` into the equivalent DingTalk body, so one renderer serves all.
 * @param {Body} body
 * @returns {Body}
 */
function fromMsgKey(body) {
  let param = body.msgParam;
  if (typeof param === "string") {
    try {
      param = JSON.parse(param);
    } catch {
      param = {};
    }
  }
  if (!param || typeof param !== "object") param = {};
  const key = String(body.msgKey);
  switch (key) {
    case "sampleText":
      return { msgtype: "text", text: { content: str(param, "content") } };
    case "sampleMarkdown":
      return { msgtype: "markdown", markdown: { title: str(param, "title"), text: str(param, "text") } };
    case "sampleImageMsg":
      return { msgtype: "image", image: { picURL: str(param, "photoURL") } };
    case "sampleLink":
      return { msgtype: "link", link: param };
    case "sampleActionCard":
      return { msgtype: "actionCard", actionCard: param };
    case "sampleActionCard6":
      return {
        msgtype: "actionCard",
        actionCard: {
          title: str(param, "title"),
          text: str(param, "text"),
          btnOrientation: "1",
          btns: [1, 2].map((i) => ({
            title: str(param, `buttonTitle${i}`),
            actionURL: str(param, `buttonUrl${i}`),
          })),
        },
      };
    default: {
      const card = /^sampleActionCard([2-5])$/.exec(key);
      if (card) {
        const btns = [];
        for (let i = 1; i <= Number(card[1]); i++) {
          if (str(param, `actionTitle${i}`)) {
            btns.push({ title: str(param, `actionTitle${i}`), actionURL: str(param, `actionURL${i}`) });
          }
        }
        return {
          msgtype: "actionCard",
          actionCard: { title: str(param, "title"), text: str(param, "text"), btnOrientation: "0", btns },
        };
      }
      const kind = { sampleAudio: "语音", sampleFile: "文件", sampleVideo: "视频" }[key];
      return {
        msgtype: "placeholder",
        placeholder: kind ? `[${kind}] ${str(param, "fileName")}`.trim() : `[${key}]`,
      };
    }
  }
}

/**
 * The DingTalk body of a record: bodies are sometimes wrapped (`msg`) or OpenAPI-shaped (`msgKey`).
 * @param {Message} record
 * @returns {Body}
 */
export function bodyOf(record) {
  let body = record.body && typeof record.body === "object" ? record.body : {};
  if (!body.msgtype && body.msg && typeof body.msg === "object") body = body.msg;
  // OpenAPI templates the emulator has no display form for arrive as {msgtype: msgKey, msgKey, msgParam}.
  if (typeof body.msgKey === "string" && (!body.msgtype || body.msgtype === body.msgKey))
    body = fromMsgKey(body);
  return body;
}

/**
 * A card's buttons, side by side (orientation "1") or stacked.
 * @param {Array<{ title: string; url: string }>} btns
 * @param {unknown} orientation
 */
function buttons(btns, orientation) {
  const horizontal = String(orientation) === "1";
  return h(
    "div",
    {
      class: `card-buttons ${horizontal ? "horizontal" : "vertical"}`,
      role: "group",
      "aria-label": "按钮 Buttons",
    },
    ...btns.map((b) => link(b.url, { class: "card-button" }, b.title || "查看")),
  );
}

/**
 * @param {Body} card
 * @param {Mentions} mentions
 */
function actionCard(card, mentions) {
  const single = str(card, "singleTitle") || str(card, "single_title");
  const singleUrl = str(card, "singleURL") || str(card, "single_url");
  const rawBtns = Array.isArray(card.btns)
    ? card.btns
    : Array.isArray(card.btn_json_list)
      ? card.btn_json_list
      : [];
  const text = str(card, "text") || str(card, "markdown");
  const el = h("div", { class: "card action-card", "data-title": str(card, "title") });
  // DingTalk shows the title only in notifications and the conversation list; the card shows its text.
  el.append(h("span", { class: "visually-hidden card-title" }, str(card, "title")));
  el.append(markdown(text, mentions));
  // When singleTitle+singleURL are set the card is whole-jump and btns is ignored, as DingTalk does.
  if (single || singleUrl) el.append(buttons([{ title: single || "阅读全文", url: singleUrl }], "0"));
  else if (rawBtns.length > 0) {
    el.append(
      buttons(
        rawBtns.map((/** @type {unknown} */ b) => ({
          title: str(b, "title"),
          url: str(b, "actionURL") || str(b, "action_url"),
        })),
        card.btnOrientation ?? card.btn_orientation,
      ),
    );
  }
  return el;
}

/** @param {Body} l */
function linkCard(l) {
  const url = str(l, "messageUrl") || str(l, "message_url") || str(l, "messageURL");
  const pic = str(l, "picUrl") || str(l, "picURL") || str(l, "pic_url");
  return link(
    url,
    { class: "card link-card", "data-title": str(l, "title") },
    h("span", { class: "card-title" }, str(l, "title")),
    h(
      "span",
      { class: "link-card-body" },
      h("span", { class: "link-card-text" }, str(l, "text")),
      pic ? image(pic, "", "link-card-pic") : null,
    ),
  );
}

/** @param {Body} feed */
function feedCard(feed) {
  const links = Array.isArray(feed?.links) ? feed.links : [];
  return h(
    "ul",
    { class: "card feed-card", "aria-label": "图文消息 Feed" },
    ...links.map((/** @type {unknown} */ item, /** @type {number} */ index) =>
      h(
        "li",
        { class: index === 0 ? "feed-item feed-first" : "feed-item" },
        link(
          str(item, "messageURL") || str(item, "messageUrl"),
          { class: "feed-link" },
          h("span", { class: "feed-title" }, str(item, "title")),
          str(item, "picURL") || str(item, "picUrl")
            ? image(str(item, "picURL") || str(item, "picUrl"), "", "feed-pic")
            : null,
        ),
      ),
    ),
  );
}

/**
 * ARGB `FFBBBBBB` (DingTalk's OA head colour) → CSS colour; null if it is not hex.
 * @param {unknown} value
 */
function argb(value) {
  const v = String(value ?? "").replace(/^#|^0x/i, "");
  if (/^[0-9a-f]{8}$/i.test(v)) {
    const alpha = Number.parseInt(v.slice(0, 2), 16) / 255;
    const [r, g, b] = [2, 4, 6].map((i) => Number.parseInt(v.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
  }
  if (/^[0-9a-f]{6}$/i.test(v)) return `#${v}`;
  return null;
}

/** @param {Body} oa */
function oaCard(oa) {
  const head = oa.head && typeof oa.head === "object" ? oa.head : {};
  const body = oa.body && typeof oa.body === "object" ? oa.body : {};
  const headColour = argb(head.bgcolor);
  const el = h("div", { class: "card oa-card", "data-title": str(body, "title") || str(head, "text") });
  el.append(
    h(
      "div",
      { class: "oa-head", style: headColour ? `background:${headColour}` : null },
      str(head, "text") || "工作通知",
    ),
  );
  const inner = h("div", { class: "oa-body" });
  if (str(body, "title")) inner.append(h("div", { class: "card-title oa-title" }, str(body, "title")));
  const form = Array.isArray(body.form) ? body.form : [];
  if (form.length > 0) {
    inner.append(
      h(
        "dl",
        { class: "oa-form" },
        ...form.flatMap((/** @type {unknown} */ row) => [
          h("dt", {}, str(row, "key")),
          h("dd", {}, str(row, "value")),
        ]),
      ),
    );
  }
  if (body.rich && typeof body.rich === "object") {
    inner.append(
      h(
        "p",
        { class: "oa-rich" },
        h("span", { class: "oa-num" }, str(body.rich, "num")),
        " ",
        str(body.rich, "unit"),
      ),
    );
  }
  if (str(body, "content")) inner.append(plainText(str(body, "content")));
  if (str(body, "image")) inner.append(image(str(body, "image"), "", "oa-image"));
  const foot = [];
  if (str(body, "file_count")) foot.push(`附件 ${str(body, "file_count")} 个`);
  if (str(body, "author")) foot.push(str(body, "author"));
  if (foot.length > 0) inner.append(h("p", { class: "oa-foot" }, foot.join(" · ")));
  el.append(inner);
  const status = oa.status_bar && typeof oa.status_bar === "object" ? oa.status_bar : null;
  if (status && str(status, "status_value")) {
    el.append(
      h(
        "div",
        { class: "oa-status", style: argb(status.status_bg) ? `color:${argb(status.status_bg)}` : null },
        str(status, "status_value"),
      ),
    );
  }
  const url = str(oa, "message_url") || str(oa, "pc_message_url");
  if (url) el.append(buttons([{ title: "查看详情", url }], "0"));
  return el;
}

/**
 * Builds the content of one message bubble from its DingTalk body.
 * @param {Message} record
 * @param {string} [viewer] the userId the page speaks as (a card shows them their private data)
 * @returns {HTMLElement}
 */
export function renderBody(record, viewer = "") {
  const body = bodyOf(record);
  const mentions = mentionsOf(body);
  const type = String(body.msgtype ?? "");
  const content = body.content && typeof body.content === "object" ? body.content : {};
  switch (type) {
    case "text":
      return plainText(withRobotMention(record, str(body.text, "content") || str(body, "content")), mentions);
    case "markdown":
      return h(
        "div",
        { class: "md-message", "data-title": str(body.markdown, "title") },
        markdown(str(body.markdown, "text"), mentions),
      );
    case "link":
      return linkCard(body.link ?? {});
    case "actionCard":
      return actionCard(body.actionCard ?? {}, mentions);
    case "action_card":
      return actionCard(body.action_card ?? {}, mentions);
    case "feedCard":
      return feedCard(body.feedCard ?? {});
    case "oa":
      return oaCard(body.oa ?? {});
    case "image":
    case "picture":
    case "richText":
    case "voice":
    case "audio":
    case "video":
    case "file":
      return renderMedia(record, body, mentions) ?? h("span", { class: "media-placeholder" }, `[${type}]`);
    case "interactiveCard":
      // A card's message (`via: "card"`) holds the card's current state; a person's interactiveCard is shown raw.
      if (record.via === "card") return renderCard(body, viewer, record.sender?.name ?? "");
      return h("pre", { class: "unknown-body" }, `[${type}] ${JSON.stringify(body, null, 2)}`);
    case "unknownMsgType":
      return h("span", { class: "media-placeholder" }, str(content, "unknownMsgType") || "[暂不支持的消息]");
    case "placeholder":
      return h("span", { class: "media-placeholder" }, str(body, "placeholder"));
    case "empty":
      return h("span", { class: "empty-reply" }, "（空回复 empty reply）");
    default:
      return h("pre", { class: "unknown-body" }, `[${type || "?"}] ${JSON.stringify(body, null, 2)}`);
  }
}

/**
 * A person's message to a robot in a group: DingTalk shows "@robot text" although the callback strips the
 * mention, so put it back when the text does not already start with it.
 * @param {Message} record
 * @param {string} text
 */
function withRobotMention(record, text) {
  if (record.sender?.kind !== "user") return text;
  const meta = record.meta ?? {};
  const code =
    typeof meta.atRobot === "string"
      ? meta.atRobot
      : typeof record.body?.robotCode === "string" && record.body?.isInAtList
        ? record.body.robotCode
        : null;
  if (!code) return text;
  const name = robotName(code);
  return text.trimStart().startsWith(`@${name}`) ? text : `@${name} ${text.trimStart()}`;
}

/**
 * A one-line summary for the conversation list and screen readers.
 * @param {Message} record
 * @returns {string}
 */
export function preview(record) {
  const body = bodyOf(record);
  const type = String(body.msgtype ?? "");
  switch (type) {
    case "text":
      return str(body.text, "content").trim();
    case "markdown":
      return `[${str(body.markdown, "title") || "Markdown"}]`;
    case "link":
      return `[链接] ${str(body.link, "title")}`;
    case "actionCard":
      return `[卡片] ${str(body.actionCard, "title")}`;
    case "action_card":
      return `[卡片] ${str(body.action_card, "title")}`;
    case "feedCard":
      return `[图文] ${str(body.feedCard?.links?.[0], "title")}`;
    case "oa":
      return `[工作通知] ${str(body.oa?.body, "title") || str(body.oa?.head, "text")}`;
    case "image":
    case "picture":
      return "[图片]";
    case "audio":
    case "voice":
      return "[语音]";
    case "video":
      return "[视频]";
    case "file":
      return `[文件] ${str(body.content, "fileName") || str(body.file, "fileName")}`.trim();
    case "richText":
      return "[富文本]";
    case "interactiveCard":
      return record.via === "card" ? cardPreview(body) : "[卡片]";
    default:
      return `[${type}]`;
  }
}

// ---------------------------------------------------------------- time

/**
 * A message's time as DingTalk shows it: the time today, with the date on other days.
 * @param {number} ms
 */
export function formatTime(ms) {
  const date = new Date(ms);
  const time = date.toLocaleTimeString("zh-CN", {
    hour12: false,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString("zh-CN", { month: "2-digit", day: "2-digit" })} ${time}`;
}

// ---------------------------------------------------------------- rejections

/**
 * The rejection panel's tag for each reason the emulator records, in Chinese (the page's language); the
 * English reason code is shown beside it, so a tag is never half one language and half the other.
 * @type {Record<string, string>}
 */
export const REASON_LABEL = {
  sign: "签名错误",
  timestamp: "时间戳无效",
  keyword: "关键词不匹配",
  ip: "IP 不在白名单",
  token: "令牌无效",
  credentials: "凭证错误",
  body: "消息体不合法",
  "content-type": "内容类型错误",
  method: "请求方法错误",
  msgtype: "消息类型错误",
  "rate-limit": "限流",
  fault: "注入的故障",
  session: "会话链接无效",
  delivery: "机器人未收到",
  offline: "机器人离线",
  reply: "回复被丢弃",
  params: "参数错误",
  path: "接口不存在",
  robot: "机器人无效",
  conversation: "群会话不存在",
  user: "用户无效",
  agent: "应用无效",
  task: "任务无效",
  recall: "撤回失败",
};

/**
 * One entry of the rejection panel: Chinese tag and English reason, who, when, errcode/errmsg, endpoint.
 * @param {Rejection} r
 */
export function rejectionItem(r) {
  const reason = String(r.reason ?? "");
  return h(
    "li",
    { class: "rejection", "data-reason": reason },
    h(
      "div",
      { class: "rejection-head" },
      h(
        "span",
        { class: `badge reason reason-${reason.replace(/[^a-z-]/gi, "")}` },
        Object.hasOwn(REASON_LABEL, reason) ? REASON_LABEL[reason] : "其他原因",
      ),
      h("span", { class: "reason-code", lang: "en" }, reason),
      r.subject ? h("span", { class: "rejection-subject" }, r.subject) : null,
      h("time", { datetime: new Date(r.time).toISOString() }, formatTime(r.time)),
    ),
    h("div", { class: "rejection-msg" }, r.errcode !== undefined ? `errcode ${r.errcode}：` : "", r.errmsg),
    h("code", { class: "rejection-endpoint" }, r.endpoint),
  );
}
