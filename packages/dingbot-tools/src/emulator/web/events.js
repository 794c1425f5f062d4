// @ts-check
// Keeping the page in step with the emulator: the snapshot (`GET /_emulator/snapshot`) and the live
// events (`EventSource('/_emulator/events')`), with events that arrive while a snapshot loads applied on
// top of it.
import { conversationFromHash, select } from "./chat.js";
import { renderConversations, sortedConversations } from "./conversation-list.js";
import { addMessage, updateMessage } from "./messages.js";
import { addRejection, renderRejections } from "./rejections.js";
import { state } from "./state.js";
import { setConnection } from "./status.js";

/** @typedef {import("./state.js").Snapshot} Snapshot */
/** @typedef {import("./state.js").EventType} EventType */

/** @type {EventType[]} */
const EVENT_TYPES = ["message", "message-updated", "rejection", "conversation", "reset"];

/** @param {Snapshot} snap */
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
  const wanted =
    state.selected ?? (conversationFromHash() || sortedConversations()[0]?.conversationId || null);
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

/**
 * Applies one event of the emulator's stream.
 * @param {EventType} type
 * @param {any} data the event's JSON
 */
function handleEvent(type, data) {
  // While a snapshot loads, events wait and are applied on top of it (see loadSnapshot).
  if (state.buffered) {
    state.buffered.push([type, data]);
    return;
  }
  switch (type) {
    case "message":
      // A message from a conversation the page does not know yet: the snapshot has it.
      if (addMessage(data) && !state.conversations.has(data.conversationId)) scheduleRefresh();
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

/** Opens the live event stream; every (re)connection reloads the snapshot. */
export function connect() {
  const source = new EventSource("/_emulator/events");
  source.addEventListener("open", () => {
    setConnection("live", "实时 · Live");
    void loadSnapshot();
  });
  source.addEventListener("error", () => setConnection("reconnecting", "重新连接中… Reconnecting"));
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (event) => {
      try {
        handleEvent(type, JSON.parse(/** @type {MessageEvent} */ (event).data));
      } catch (error) {
        console.warn("bad event", type, error);
      }
    });
  }
}
