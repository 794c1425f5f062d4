// @ts-check
// The composer: who speaks and which robot is @-ed (from the open conversation), and sending as that
// person through `POST /_emulator/conversations/:id/messages`.
import { h } from "./dom.js";
import { patchDelivery } from "./messages.js";
import { robotName } from "./render.js";
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

/**
 * Sends the composer's text as the chosen person (a submit of the form) and reports the outcome.
 * @param {SubmitEvent | Event} event
 */
export async function sendFromComposer(event) {
  event.preventDefault();
  const c = state.selected ? state.conversations.get(state.selected) : null;
  const text = ui.text.value;
  if (!c || text.trim() === "" || !ui.from.value) return;
  /** @type {{ from: string; text: string; atRobot?: string }} */
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
