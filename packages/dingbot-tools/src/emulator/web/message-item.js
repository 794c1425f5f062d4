// @ts-check
// One message of the message list: avatar, sender, channel, time, delivery and read state, the bubble, and
// the raw body for "显示 JSON".

import { cardBusy } from "./card.js";
import { h } from "./dom.js";
import { quoteBlock } from "./media.js";
import { avatar, bodyOf, formatTime, renderBody, robotName } from "./render.js";
import { state } from "./state.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").Message} Message */

/** @type {Record<string, string>} how a message arrived → what the page calls it */
const VIA_LABEL = {
  webhook: "Webhook",
  user: "",
  "inline-reply": "回调应答",
  "session-webhook": "sessionWebhook",
  "work-notification": "工作通知",
  openapi: "OpenAPI",
  card: "卡片",
};

/**
 * The list item of one message.
 * @param {Message} record
 */
export function messageItem(record) {
  const sender = record.sender ?? { kind: "user", id: "?", name: "?" };
  const isBot = sender.kind !== "user";
  const mine = !isBot && sender.id === ui.from.value;
  const bubble = h("div", { class: "bubble" }, quoteBlock(record), renderBody(record, ui.from.value));
  const via = (Object.hasOwn(VIA_LABEL, record.via) ? VIA_LABEL[record.via] : record.via) ?? "";
  const meta = h(
    "div",
    { class: "meta" },
    h("span", { class: "sender-name" }, sender.name || sender.id),
    isBot
      ? h("span", { class: "badge badge-bot" }, record.via === "work-notification" ? "工作通知" : "机器人")
      : null,
    via && record.via !== "work-notification" ? h("span", { class: "via" }, via) : null,
    h("time", { datetime: new Date(record.time).toISOString() }, formatTime(record.time)),
    deliveryBadge(record),
    ...readState(record),
    // DingTalk's 引用 (quote): the composer then sends a quoted reply to this message.
    canQuote(record)
      ? h(
          "button",
          {
            type: "button",
            class: "quote-action",
            "data-id": record.id,
            "aria-label": `引用 ${sender.name || sender.id} 的消息`,
          },
          "引用",
        )
      : null,
  );
  // The body exactly as it was posted, for bot authors (as a mail catcher shows a mail's source).
  // Hidden unless "显示 JSON" is ticked: one switch, not a tab stop per message.
  const raw = h("pre", { class: "raw" }, JSON.stringify(record.body, null, 2));
  return h(
    "li",
    {
      class: `message${isBot ? " from-bot" : " from-user"}${mine ? " mine" : ""}`,
      "data-id": record.id,
      "data-msgtype": String(bodyOf(record).msgtype ?? ""),
      "data-via": record.via,
      "aria-busy": record.via === "card" && cardBusy(bodyOf(record)) ? "true" : null,
    },
    avatar(sender),
    h("div", { class: "message-main" }, meta, bubble, raw),
  );
}

/**
 * Whether the composer can quote this message: one of the open conversation's messages, when someone can
 * speak there.
 * @param {Message} record
 */
function canQuote(record) {
  return record.conversationId === state.selected && !ui.text.disabled;
}

/**
 * Read state of work notifications and OpenAPI messages ("未读"/"已读" in 1:1, "N 人已读" in groups), and a
 * button to read it as the chosen sender, which is what getsendresult and readStatus then report.
 * @param {Message} record
 * @returns {Array<HTMLElement | null>}
 */
function readState(record) {
  if (!record.readBy || typeof record.readBy !== "object") return [];
  const c = state.conversations.get(record.conversationId);
  const readers = Object.keys(record.readBy);
  const label = c?.type === "single" ? (readers.length > 0 ? "已读" : "未读") : `${readers.length} 人已读`;
  const me = ui.from.value;
  const canRead = Boolean(me) && Boolean(c?.members.includes(me)) && !(me in record.readBy);
  const name = state.users.get(me)?.name ?? me;
  return [
    h("span", { class: `read-state${readers.length > 0 ? " read" : ""}` }, label),
    canRead
      ? h("button", { type: "button", class: "mark-read", "data-id": record.id }, `以${name}身份标记已读`)
      : null,
  ];
}

/**
 * For a person's message to a bot: whether the bot got it (the emulator's delivery outcome).
 * @param {Message} record
 */
function deliveryBadge(record) {
  const meta = record.meta;
  const delivery = meta && typeof meta.delivery === "object" ? meta.delivery : null;
  if (!meta || !delivery) return null;
  if (delivery.delivered) {
    const to = typeof meta.atRobot === "string" ? ` ${robotName(meta.atRobot)}` : "";
    return h("span", { class: "delivery ok", title: `attempts: ${delivery.attempts ?? 1}` }, `✓ 已送达${to}`);
  }
  // A Stream bot that is not connected: the emulator keeps the message until it connects, as DingTalk does.
  if (delivery.queued)
    return h("span", { class: "delivery queued", role: "note" }, "⏳ 机器人离线，上线后投递");
  return h(
    "span",
    { class: "delivery failed", role: "note" },
    `⚠ 机器人未收到：${typeof delivery.error === "string" ? delivery.error : "未送达"}`,
  );
}
