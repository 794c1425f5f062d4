// The emulator's chat page: conversations, live events, the composer and the rejection panel.
// Plain browser JavaScript modules, no build step; rendering of message bodies is in render.js.
import { h } from "./dom.js";
import {
  avatar,
  bodyOf,
  colourFor,
  formatTime,
  initials,
  preview,
  rejectionItem,
  renderBody,
  robotName,
} from "./render.js";
import { PAGE_SIZE, state } from "./state.js";

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  connection: $("connection"),
  toggle: $("toggle-conversations"),
  nav: $("conversations"),
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
  status: $("composer-status"),
  rejectionList: $("rejection-list"),
  showRaw: /** @type {HTMLInputElement} */ ($("show-raw")),
  rejectionCount: $("rejection-count"),
};

// The message list scrolls: it must be reachable with Tab so keyboard users can scroll it (WCAG 2.1.1).
ui.messages.tabIndex = 0;

// ---------------------------------------------------------------- messages

const VIA_LABEL = {
  webhook: "Webhook",
  user: "",
  "inline-reply": "回调应答",
  "session-webhook": "sessionWebhook",
  "work-notification": "工作通知",
  openapi: "OpenAPI",
};

function messageItem(record) {
  const sender = record.sender ?? { kind: "user", id: "?", name: "?" };
  const isBot = sender.kind !== "user";
  const mine = !isBot && sender.id === ui.from.value;
  const bubble = h("div", { class: "bubble" }, renderBody(record));
  const via = VIA_LABEL[record.via] ?? record.via ?? "";
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
    },
    avatar(sender),
    h("div", { class: "message-main" }, meta, bubble, raw),
  );
}

/**
 * Read state of work notifications and OpenAPI messages ("未读"/"已读" in 1:1, "N 人已读" in groups), and a
 * button to read it as the chosen sender, which is what getsendresult and readStatus then report.
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

async function markRead(messageId) {
  const record = state.messages.find((m) => m.id === messageId);
  const userId = ui.from.value;
  if (!record || !userId) return;
  const response = await fetch(`/_emulator/messages/${encodeURIComponent(messageId)}/read`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    setStatus(`标记已读失败 (${response.status})：${result.error ?? response.statusText}`, "error");
    return;
  }
  record.readBy = { ...record.readBy, [userId]: result.readAt ?? Date.now() };
  const item = messageItem(record);
  ui.messages.querySelector(`li[data-id="${CSS.escape(record.id)}"]`)?.replaceWith(item);
  item.querySelector(".read-state")?.setAttribute("tabindex", "-1");
  /** @type {HTMLElement | null} */ (item.querySelector(".read-state"))?.focus();
}

/** For a person's message to a bot: whether the bot got it (the emulator's delivery outcome). */
function deliveryBadge(record) {
  const delivery = record.meta && typeof record.meta.delivery === "object" ? record.meta.delivery : null;
  if (!delivery) return null;
  if (delivery.delivered) {
    const to = typeof record.meta.atRobot === "string" ? ` ${robotName(record.meta.atRobot)}` : "";
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

function messagesOf(conversationId) {
  return state.messages.filter((m) => m.conversationId === conversationId);
}

function nearBottom() {
  const el = ui.messages;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function renderMessages() {
  // A re-render of the same conversation (after a refresh) keeps a reader's place unless they were at the end.
  const same = ui.messages.dataset.conversation === (state.selected ?? "");
  const stick = !same || nearBottom();
  const scrollTop = ui.messages.scrollTop;
  ui.messages.dataset.conversation = state.selected ?? "";
  ui.messages.setAttribute("aria-busy", "true");
  ui.messages.replaceChildren();
  if (!state.selected) {
    ui.messages.append(h("li", { class: "empty-note" }, "选择左侧的会话 · Pick a conversation"));
  } else {
    const list = messagesOf(state.selected);
    if (list.length === 0)
      ui.messages.append(h("li", { class: "empty-note" }, "还没有消息 · No messages yet"));
    // A benchmark or a storm can put thousands of messages in one conversation: draw the newest ones, and
    // the rest on request.
    const hidden = Math.max(0, list.length - state.shown);
    if (hidden > 0) {
      ui.messages.append(
        h(
          "li",
          { class: "earlier" },
          h(
            "button",
            { type: "button", class: "show-earlier" },
            `显示更早的 ${hidden} 条 · Show ${hidden} earlier`,
          ),
        ),
      );
    }
    for (const record of list.slice(hidden)) ui.messages.append(messageItem(record));
  }
  ui.messages.removeAttribute("aria-busy");
  if (stick) scrollToBottom();
  else ui.messages.scrollTop = scrollTop;
}

/** Redraws one message in place, when it is shown. */
function redrawMessage(record) {
  const shown = ui.messages.querySelector(`li[data-id="${CSS.escape(record.id)}"]`);
  shown?.replaceWith(messageItem(record));
}

/**
 * Sets the delivery outcome of a person's message (found by its DingTalk msgId) and redraws it. The
 * emulator announces outcomes with `message-updated`; the composer's answer or the bot's reply can come
 * first. A known outcome is kept, except "queued", which a later one (the bot came online) replaces.
 */
function patchDelivery(msgId, delivery) {
  const record = state.messages.find((m) => m.meta?.msgId === msgId);
  // The composer's answer can arrive before the message's event: keep the outcome for when it does.
  if (!record) {
    pendingDeliveries.set(msgId, delivery);
    return;
  }
  if (record.meta.delivery && !record.meta.delivery.queued) return;
  record.meta = { ...record.meta, delivery };
  redrawMessage(record);
}

/** A `message-updated` event: the emulator's record replaces the page's copy (e.g. a new delivery outcome). */
function updateMessage(record) {
  if (!record || !state.messageIds.has(record.id)) return;
  const index = state.messages.findIndex((m) => m.id === record.id);
  if (index < 0) return;
  state.messages[index] = record;
  redrawMessage(record);
}

/** Delivery outcomes learnt before their message arrived, by msgId. */
const pendingDeliveries = new Map();

function addMessage(record) {
  if (!record || state.messageIds.has(record.id)) return;
  const msgId = record.meta?.msgId;
  if (msgId && pendingDeliveries.has(msgId)) {
    if (!record.meta.delivery) record.meta = { ...record.meta, delivery: pendingDeliveries.get(msgId) };
    pendingDeliveries.delete(msgId);
  }
  state.messageIds.add(record.id);
  state.messages.push(record);
  if (typeof record.replyTo === "string") patchDelivery(record.replyTo, { delivered: true });
  if (!state.conversations.has(record.conversationId)) scheduleRefresh();
  if (record.conversationId === state.selected) {
    const stick = nearBottom();
    ui.messages.querySelector(".empty-note")?.remove();
    ui.messages.append(messageItem(record));
    if (stick) scrollToBottom();
  } else {
    state.unread.set(record.conversationId, (state.unread.get(record.conversationId) ?? 0) + 1);
  }
  scheduleConversations();
}

// ---------------------------------------------------------------- conversations

/** The newest message of every conversation, in one pass over the log. */
function lastMessages() {
  /** @type {Map<string, any>} */
  const last = new Map();
  for (const m of state.messages) last.set(m.conversationId, m);
  return last;
}

function sortedConversations(last = lastMessages()) {
  const key = (c) => last.get(c.conversationId)?.time ?? c.createdAt ?? 0;
  return [...state.conversations.values()].sort((a, b) => key(b) - key(a));
}

let conversationsTimer = 0;
/** Coalesces list updates: a storm of messages re-renders the list a few times a second, not per message. */
function scheduleConversations() {
  if (conversationsTimer) return;
  conversationsTimer = window.setTimeout(() => {
    conversationsTimer = 0;
    renderConversations();
  }, 50);
}

function renderConversations() {
  const last = lastMessages();
  const conversations = sortedConversations(last);
  ui.noConversations.hidden = conversations.length > 0;
  // Re-rendering replaces the buttons: keep a keyboard user's focus on the conversation they were on.
  const focused = document.activeElement?.closest?.("button.conversation")?.getAttribute("data-id");
  ui.list.replaceChildren(
    ...conversations.map((c) => {
      const newest = last.get(c.conversationId);
      const unread = state.unread.get(c.conversationId) ?? 0;
      const selected = c.conversationId === state.selected;
      const group = c.type !== "single";
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `conversation${selected ? " selected" : ""}`,
            "data-id": c.conversationId,
            "aria-current": selected ? "true" : null,
          },
          h(
            "span",
            {
              class: `avatar conv-avatar${group ? " group" : ""}`,
              "aria-hidden": "true",
              style: `--avatar:${colourFor(c.conversationId)}`,
            },
            initials(c.title || "?", { first: group }),
          ),
          h(
            "span",
            { class: "conv-text" },
            h(
              "span",
              { class: "conv-title-row" },
              h("span", { class: "conv-title" }, c.title || c.conversationId),
              h("span", { class: "badge badge-type" }, group ? "群" : "单聊"),
            ),
            h(
              "span",
              { class: "conv-preview" },
              newest ? `${newest.sender?.name ?? ""}: ${preview(newest)}` : "",
            ),
          ),
          unread > 0 && !selected
            ? h("span", { class: "unread", "aria-label": `${unread} 条未读` }, String(unread))
            : null,
        ),
      );
    }),
  );
  if (focused)
    /** @type {HTMLElement | null} */ (
      ui.list.querySelector(`button[data-id="${CSS.escape(focused)}"]`)
    )?.focus();
}

function select(conversationId, { focus = false } = {}) {
  if (conversationId !== state.selected) state.shown = PAGE_SIZE;
  state.selected = conversationId && state.conversations.has(conversationId) ? conversationId : null;
  if (state.selected) {
    state.unread.delete(state.selected);
    if (location.hash !== `#c=${encodeURIComponent(state.selected)}`) {
      history.replaceState(null, "", `#c=${encodeURIComponent(state.selected)}`);
    }
  }
  const c = state.selected ? state.conversations.get(state.selected) : null;
  ui.title.textContent = c ? c.title || c.conversationId : "未选择会话";
  ui.subtitle.textContent = c ? subtitle(c) : "";
  renderComposer();
  renderConversations();
  renderMessages();
  if (focus) ui.text.focus();
}

function subtitle(c) {
  const people = c.members.map((id) => state.users.get(id)?.name ?? id);
  const bots = [
    ...c.robots.map(robotName),
    ...state.robots.filter((r) => r.conversationId === c.conversationId).map((r) => r.name),
  ];
  const parts = [c.type === "single" ? "单聊" : `群聊 · ${people.length} 人`];
  if (people.length > 0) parts.push(people.join("、"));
  if (bots.length > 0) parts.push(`机器人：${bots.join("、")}`);
  return parts.join(" · ");
}

// ---------------------------------------------------------------- composer

function option(value, label, selected) {
  const el = h("option", { value }, label);
  if (selected) el.selected = true;
  return el;
}

function renderComposer() {
  const c = state.selected ? state.conversations.get(state.selected) : null;
  const previousFrom = ui.from.value;
  const previousRobot = ui.robot.value;
  const members = c && c.members.length > 0 ? c.members : [...state.users.keys()];
  const people = members.map((id) => state.users.get(id)).filter(Boolean);
  ui.from.replaceChildren(
    ...people.map((u) => option(u.userId, `${u.name}（${u.userId}）`, u.userId === previousFrom)),
  );
  // Only app robots receive messages; custom robots and work-notification channels only send.
  const codes = c ? c.robots.filter((code) => state.apps.has(code)) : [];
  const robotOptions = codes.map((code) => option(code, robotName(code), code === previousRobot));
  if (c?.type === "single") robotOptions.unshift(option("", "（不 @）", previousRobot === ""));
  ui.robot.replaceChildren(...robotOptions);
  const usable = Boolean(c) && people.length > 0 && codes.length > 0;
  for (const el of [ui.from, ui.robot, ui.text, ui.send]) el.disabled = !usable;
  if (c && !usable) {
    setStatus(
      people.length === 0
        ? "这个会话没有成员，无法以成员身份发言"
        : "这里没有能接收消息的应用机器人（自定义机器人和工作通知只能发、不能收）",
      "info",
    );
  } else if (ui.status.dataset.kind === "info") setStatus("", "");
}

function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

async function sendFromComposer(event) {
  event.preventDefault();
  const c = state.selected ? state.conversations.get(state.selected) : null;
  const text = ui.text.value;
  if (!c || text.trim() === "" || !ui.from.value) return;
  const payload = { from: ui.from.value, text };
  if (ui.robot.value) payload.atRobot = ui.robot.value;
  ui.send.disabled = true;
  setStatus("发送中… Sending", "pending");
  try {
    const response = await fetch(
      `/_emulator/conversations/${encodeURIComponent(c.conversationId)}/messages`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      },
    );
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      setStatus(
        `发送失败 (${response.status})：${result.error ?? result.message ?? response.statusText}`,
        "error",
      );
      return;
    }
    ui.text.value = "";
    if (typeof result.msgId === "string" && typeof result.delivered === "boolean") {
      patchDelivery(result.msgId, {
        delivered: result.delivered,
        attempts: result.attempts,
        ...(result.queued ? { queued: true } : {}),
        ...(result.error ? { error: result.error } : {}),
      });
    }
    if (result.queued) {
      setStatus(
        "机器人离线（Stream 未连接），消息会在它连上后投递 · Queued until the bot connects",
        "queued",
      );
    } else if (result.delivered === false) {
      setStatus(`已记录，但机器人没有收到：${result.error ?? "未送达"}`, "error");
    } else
      setStatus(payload.atRobot ? `已送达 ${robotName(payload.atRobot)} · Delivered` : "已发送 · Sent", "ok");
  } catch (error) {
    setStatus(`发送失败：${error instanceof Error ? error.message : String(error)}`, "error");
  } finally {
    ui.send.disabled = false;
    ui.text.focus();
  }
}

// ---------------------------------------------------------------- rejections

function renderRejections() {
  ui.rejectionCount.textContent = String(state.rejections.length);
  ui.rejectionCount.dataset.zero = String(state.rejections.length === 0);
  const recent = state.rejections.slice(-200).reverse();
  ui.rejectionList.replaceChildren(
    ...(recent.length > 0
      ? recent.map(rejectionItem)
      : [h("li", { class: "empty-note" }, "没有被拒绝的请求 · Nothing rejected")]),
  );
}

function addRejection(r) {
  if (!r || state.rejectionIds.has(r.id)) return;
  state.rejectionIds.add(r.id);
  state.rejections.push(r);
  ui.rejectionCount.textContent = String(state.rejections.length);
  ui.rejectionCount.dataset.zero = "false";
  ui.rejectionList.querySelector(".empty-note")?.remove();
  ui.rejectionList.prepend(rejectionItem(r));
  // A rate-limit storm can refuse thousands of requests: the panel keeps the newest 200.
  while (ui.rejectionList.children.length > 200) ui.rejectionList.lastElementChild?.remove();
}

// ---------------------------------------------------------------- data loading and live events

function applySnapshot(snap) {
  state.conversations = new Map(snap.conversations.map((c) => [c.conversationId, c]));
  state.users = new Map(snap.users.map((u) => [u.userId, u]));
  state.apps = new Map(snap.apps.map((a) => [a.robotCode, a]));
  state.robots = snap.robots;
  // The snapshot replaces what the page had (the emulator may have restarted); events that arrived while it
  // was loading are replayed after it by loadSnapshot, and the ids make that replay idempotent.
  state.messages = [...snap.messages];
  state.messageIds = new Set(state.messages.map((m) => m.id));
  state.rejections = [...snap.rejections];
  state.rejectionIds = new Set(state.rejections.map((r) => r.id));
  const fromHash = decodeURIComponent((/^#c=(.+)$/.exec(location.hash) ?? [])[1] ?? "");
  const wanted = state.selected ?? (fromHash || sortedConversations()[0]?.conversationId || null);
  select(wanted);
  renderRejections();
}

/** @type {Promise<void> | null} */
let loading = null;
let reloadWanted = false;
/** Loads the snapshot; a request while one is in flight runs once more after it, never in parallel. */
function loadSnapshot() {
  if (loading) {
    reloadWanted = true;
    return loading;
  }
  loading = (async () => {
    do {
      reloadWanted = false;
      await loadSnapshotOnce();
    } while (reloadWanted);
  })().finally(() => {
    loading = null;
  });
  return loading;
}

async function loadSnapshotOnce() {
  state.buffered = [];
  try {
    const response = await fetch("/_emulator/snapshot", { cache: "no-store" });
    if (!response.ok) throw new Error(`snapshot ${response.status}`);
    applySnapshot(await response.json());
    document.body.dataset.ready = "true";
  } catch (error) {
    setConnection("error", `读取失败 ${error instanceof Error ? error.message : ""}`);
  } finally {
    const replay = state.buffered ?? [];
    state.buffered = null;
    for (const [type, data] of replay) handleEvent(type, data);
  }
}

let refreshTimer = 0;
/** Users, apps and robots have no events of their own; re-read them shortly after something changes. */
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void loadSnapshot(), 150);
}

function handleEvent(type, data) {
  // While a snapshot loads, events wait and are applied on top of it (see loadSnapshot).
  if (state.buffered) {
    state.buffered.push([type, data]);
    return;
  }
  switch (type) {
    case "message":
      addMessage(data);
      break;
    case "message-updated":
      updateMessage(data);
      break;
    case "rejection":
      addRejection(data);
      break;
    case "conversation":
      state.conversations.set(data.conversationId, data);
      renderConversations();
      scheduleRefresh();
      break;
    case "reset":
      state.conversations.clear();
      state.messages = [];
      state.messageIds.clear();
      state.rejections = [];
      state.rejectionIds.clear();
      state.unread.clear();
      state.selected = null;
      scheduleRefresh();
      select(null);
      renderRejections();
      break;
  }
}

function setConnection(kind, text) {
  ui.connection.dataset.state = kind;
  ui.connection.textContent = text;
}

function connect() {
  const source = new EventSource("/_emulator/events");
  source.addEventListener("open", () => {
    setConnection("live", "实时 · Live");
    void loadSnapshot();
  });
  source.addEventListener("error", () => setConnection("reconnecting", "重新连接中… Reconnecting"));
  for (const type of ["message", "message-updated", "rejection", "conversation", "reset"]) {
    source.addEventListener(type, (event) => {
      try {
        handleEvent(type, JSON.parse(/** @type {MessageEvent} */ (event).data));
      } catch (error) {
        console.warn("bad event", type, error);
      }
    });
  }
}

// ---------------------------------------------------------------- narrow screens

function setNavOpen(open) {
  ui.toggle.setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("nav-open", open);
}

// ---------------------------------------------------------------- wiring

ui.list.addEventListener("click", (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest("button.conversation");
  if (!button) return;
  select(button.getAttribute("data-id"));
  if (document.body.classList.contains("nav-open")) {
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
  if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
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
ui.from.addEventListener("change", () => renderMessages());
ui.messages.addEventListener("click", (event) => {
  const target = /** @type {HTMLElement} */ (event.target);
  const button = target.closest("button.mark-read");
  if (button) void markRead(button.getAttribute("data-id"));
  if (target.closest("button.show-earlier")) {
    const height = ui.messages.scrollHeight;
    state.shown += PAGE_SIZE;
    renderMessages();
    // Keep the message that was at the top in view.
    ui.messages.scrollTop = ui.messages.scrollHeight - height;
  }
});
ui.showRaw.addEventListener("change", () => document.body.classList.toggle("show-raw", ui.showRaw.checked));
window.addEventListener("hashchange", () => {
  const id = decodeURIComponent((/^#c=(.+)$/.exec(location.hash) ?? [])[1] ?? "");
  if (id && id !== state.selected) select(id);
});

renderRejections();
connect();
