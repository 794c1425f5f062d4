// @ts-check
// The composer: who speaks and which robot is @-ed (from the open conversation), and sending as that
// person through `POST /_emulator/conversations/:id/messages`: text (quoting a message chosen with 引用),
// pictures and files (uploaded first through `POST /_emulator/media`).
import { h } from "./dom.js";
import { patchDelivery } from "./messages.js";
import { preview, robotName } from "./render.js";
import { state } from "./state.js";
import { setStatus } from "./status.js";
import { ui } from "./ui.js";

/** @typedef {import("./state.js").User} User */

/**
 * @param {string} value
 * @param {string} label
 * @param {boolean} selected
 */
function option(value, label, selected) {
  const el = /** @type {HTMLOptionElement} */ (h("option", { value }, label));
  if (selected) el.selected = true;
  return el;
}

/** Fills the sender and robot choices for the open conversation, and says why sending is off, if it is. */
export function renderComposer() {
  const c = state.selected ? state.conversations.get(state.selected) : null;
  const previousFrom = ui.from.value;
  const previousRobot = ui.robot.value;
  const members = c && c.members.length > 0 ? c.members : [...state.users.keys()];
  const people = members.map((id) => state.users.get(id)).filter((u) => u !== undefined);
  ui.from.replaceChildren(
    ...people.map((u) => option(u.userId, `${u.name}（${u.userId}）`, u.userId === previousFrom)),
  );
  // Only app robots receive messages; custom robots and work-notification channels only send.
  const codes = c ? c.robots.filter((code) => state.apps.has(code)) : [];
  const robotOptions = codes.map((code) => option(code, robotName(code), code === previousRobot));
  if (c?.type === "single") robotOptions.unshift(option("", "（不 @）", previousRobot === ""));
  ui.robot.replaceChildren(...robotOptions);
  const usable = Boolean(c) && people.length > 0 && codes.length > 0;
  for (const el of [ui.from, ui.robot, ui.text, ui.send, ui.attachPicture, ui.attachFile])
    el.disabled = !usable;
  // A quote belongs to its conversation.
  if (state.quote && !state.messages.some((m) => m.id === state.quote && m.conversationId === state.selected))
    setQuote(null);
  if (c && !usable) {
    setStatus(
      people.length === 0
        ? "这个会话没有成员，无法以成员身份发言"
        : "这里没有能接收消息的应用机器人（自定义机器人和工作通知只能发、不能收）",
      "info",
    );
  } else if (ui.status.dataset.kind === "info") setStatus("", "");
}

/**
 * Sends a message as the chosen person through `POST /_emulator/conversations/:id/messages` and reports the
 * outcome on the status line.
 * @param {Record<string, unknown> & { from: string; atRobot?: string }} payload
 * @returns {Promise<boolean>} whether the emulator took it
 */
async function postMessage(payload) {
  const c = state.selected ? state.conversations.get(state.selected) : null;
  if (!c) return false;
  setStatus("发送中… Sending", "pending");
  const response = await fetch(`/_emulator/conversations/${encodeURIComponent(c.conversationId)}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  const result = await response.json().catch(() => ({}));
  if (!response.ok) {
    setStatus(
      `发送失败 (${response.status})：${result.error ?? result.message ?? response.statusText}`,
      "error",
    );
    return false;
  }
  if (typeof result.msgId === "string" && typeof result.delivered === "boolean") {
    patchDelivery(result.msgId, {
      delivered: result.delivered,
      attempts: result.attempts,
      ...(result.queued ? { queued: true } : {}),
      ...(result.error ? { error: result.error } : {}),
    });
  }
  if (result.queued) {
    setStatus("机器人离线（Stream 未连接），消息会在它连上后投递 · Queued until the bot connects", "queued");
  } else if (result.delivered === false) {
    setStatus(`已记录，但机器人没有收到：${result.error ?? "未送达"}`, "error");
  } else
    setStatus(payload.atRobot ? `已送达 ${robotName(payload.atRobot)} · Delivered` : "已发送 · Sent", "ok");
  return true;
}

/** The sender and robot of the next message, from the composer. */
function who() {
  /** @type {{ from: string; atRobot?: string }} */
  const payload = { from: ui.from.value };
  if (ui.robot.value) payload.atRobot = ui.robot.value;
  return payload;
}

/**
 * Sends the composer's text as the chosen person (a submit of the form), quoting the message chosen with
 * 引用 if there is one, and reports the outcome.
 * @param {SubmitEvent | Event} event
 */
export async function sendFromComposer(event) {
  event.preventDefault();
  const text = ui.text.value;
  if (!state.selected || text.trim() === "" || !ui.from.value) return;
  const quoted = state.quote;
  const payload = { ...who(), text, ...(quoted ? { quote: { messageId: quoted } } : {}) };
  ui.send.disabled = true;
  try {
    if (await postMessage(payload)) {
      ui.text.value = "";
      if (quoted && state.quote === quoted) setQuote(null);
    }
  } catch (error) {
    setStatus(`发送失败：${error instanceof Error ? error.message : String(error)}`, "error");
  } finally {
    ui.send.disabled = false;
    ui.text.focus();
  }
}

// ---------------------------------------------------------------- quoting (引用)

/**
 * Chooses the message the next text quotes (null: none), and shows it above the input.
 * @param {string | null} messageId
 */
export function setQuote(messageId) {
  const record = messageId ? state.messages.find((m) => m.id === messageId) : undefined;
  state.quote = record && record.conversationId === state.selected ? record.id : null;
  ui.quote.hidden = state.quote === null;
  ui.quoteText.textContent = record && state.quote ? `${record.sender?.name ?? ""}：${preview(record)}` : "";
  if (state.quote) ui.text.focus();
}

// ---------------------------------------------------------------- pictures and files

/**
 * Opens the file picker for a picture or any file; the chosen file is uploaded and sent at once, as
 * DingTalk sends a picture once it is picked.
 * @param {"picture" | "file"} kind
 */
export function chooseAttachment(kind) {
  ui.fileInput.accept = kind === "picture" ? "image/*" : "";
  ui.fileInput.dataset.kind = kind;
  ui.fileInput.value = "";
  ui.fileInput.click();
}

/** The file picker's choice: upload it (`POST /_emulator/media`), then send it as a picture or a file. */
export async function sendAttachment() {
  const file = ui.fileInput.files?.[0];
  const kind = ui.fileInput.dataset.kind === "picture" ? "picture" : "file";
  if (!file || !state.selected || !ui.from.value) return;
  const sender = who();
  setStatus(`上传中… Uploading ${file.name}`, "pending");
  for (const el of [ui.attachPicture, ui.attachFile]) el.disabled = true;
  try {
    const form = new FormData();
    form.append("media", file, file.name);
    const response = await fetch("/_emulator/media", { method: "POST", body: form });
    const uploaded = await response.json().catch(() => ({}));
    if (!response.ok || typeof uploaded.mediaId !== "string") {
      setStatus(`上传失败 (${response.status})：${uploaded.error ?? response.statusText}`, "error");
      return;
    }
    const content =
      kind === "picture" ? { mediaId: uploaded.mediaId } : { mediaId: uploaded.mediaId, fileName: file.name };
    await postMessage({ ...sender, msgtype: kind, content });
  } catch (error) {
    setStatus(`发送失败：${error instanceof Error ? error.message : String(error)}`, "error");
  } finally {
    ui.fileInput.value = "";
    for (const el of [ui.attachPicture, ui.attachFile]) el.disabled = ui.text.disabled;
    // The button lost the focus while it was disabled: give it back, for the keyboard user who chose it.
    if (!document.activeElement || document.activeElement === document.body) {
      (kind === "picture" ? ui.attachPicture : ui.attachFile).focus();
    }
  }
}
