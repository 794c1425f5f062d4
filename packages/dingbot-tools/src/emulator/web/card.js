// @ts-check
// Cards (card_1_0) as DingTalk shows them: the AI card (title, markdown growing as it streams, 思考中… before
// the first text, finished, failed) and interactive cards of registered templates (fields and buttons; a
// press goes to the bot as the composer's person through `POST /_emulator/cards/:outTrackId/actions`).
// The emulator records one `via: "card"` message per delivery, its body the card's current state, and
// redraws it with `message-updated` events.
import { h, str } from "./dom.js";
import { markdown } from "./markdown.js";
import { setStatus } from "./status.js";
import { ui } from "./ui.js";

/** A message body or a part of one, as posted: any shape, read defensively. @typedef {Record<string, any>} Body */

/** The official AI card template (DingTalk's 流式 AI 卡片). */
export const AI_CARD_TEMPLATE_ID = "382e4302-551d-4880-bf29-a30acfab2e71.schema";

/**
 * The AI card's state from `flowStatus` (1 processing, 2 inputing, 3 finished, 4 executing, 5 failed) and its text.
 * @param {Record<string, string>} data
 * @returns {"thinking" | "streaming" | "finished" | "failed"}
 */
function aiState(data) {
  const flow = String(data.flowStatus ?? "");
  const text = data.msgContent || data.staticMsgContent || "";
  if (flow === "5") return "failed";
  if (flow === "3") return "finished";
  // Processing (1) or no text yet: 思考中…; once text arrives it shows, growing, whatever the status says.
  if (text === "") return "thinking";
  return "streaming";
}

/**
 * The data a person sees: the card's public data with their private data over it.
 * @param {Body} card
 * @param {string} userId
 * @returns {Record<string, string>}
 */
function visibleData(card, userId) {
  const shared = card.cardParamMap && typeof card.cardParamMap === "object" ? card.cardParamMap : {};
  const own =
    userId && card.privateData && typeof card.privateData === "object" && card.privateData[userId]
      ? card.privateData[userId]
      : {};
  /** @type {Record<string, string>} */
  const data = {};
  for (const [key, value] of Object.entries({ ...shared, ...own })) data[key] = str({ value }, "value");
  return data;
}

/**
 * The AI card: title, markdown content, and its state.
 * @param {Record<string, string>} data
 * @param {string} fallbackTitle the robot's name, when the card has no title
 */
function aiCard(data, fallbackTitle) {
  const state = aiState(data);
  const title = data.msgTitle || fallbackTitle || "AI 卡片";
  const text = data.msgContent || data.staticMsgContent || "";
  const el = h("div", { class: "card ai-card", "data-state": state, "data-title": title });
  el.append(h("div", { class: "card-title ai-card-title" }, title));
  const body = h("div", { class: "ai-card-body" });
  if (text) body.append(markdown(text));
  if (state === "thinking") {
    body.append(
      h(
        "p",
        { class: "ai-thinking", role: "status" },
        h("span", { class: "spinner", "aria-hidden": "true" }),
        "思考中…",
      ),
    );
  }
  el.append(body);
  if (state === "failed") {
    el.append(h("p", { class: "ai-card-foot failed", role: "note" }, "⚠ 生成失败 · Failed"));
  } else if (state === "finished") {
    el.append(h("p", { class: "ai-card-foot finished" }, "✓ 已完成 · Finished"));
  } else if (state === "streaming") {
    el.append(h("p", { class: "ai-card-foot streaming" }, "生成中… · Writing"));
  }
  return el;
}

/**
 * A legacy robot interactive card (`interactiveCards/send`, StandardCard): its JSON document's title and
 * texts.
 * @param {string} json
 */
function legacyCard(json) {
  /** @type {Body} */
  let doc = {};
  try {
    const parsed = JSON.parse(json);
    if (parsed && typeof parsed === "object") doc = parsed;
  } catch {
    // shown as text below
  }
  const title = str(doc.header?.title, "text");
  const el = h("div", { class: "card interactive-card legacy-card", "data-title": title });
  if (title) el.append(h("div", { class: "card-title" }, title));
  const contents = Array.isArray(doc.contents) ? doc.contents : [];
  const inner = h("div", { class: "interactive-card-body" });
  for (const part of contents) {
    const text = str(part, "text");
    if (text)
      inner.append(str(part, "type") === "markdown" ? markdown(text) : h("p", { class: "text" }, text));
  }
  if (contents.length === 0 && !title) inner.append(h("pre", { class: "unknown-body" }, json));
  el.append(inner);
  return el;
}

/**
 * An interactive card of a registered template: its fields (label and value) and buttons.
 * @param {Body} card
 * @param {Record<string, string>} data
 */
function interactiveCard(card, data) {
  const template = card.template && typeof card.template === "object" ? card.template : {};
  const name = str(template, "name") || str(card, "cardTemplateId");
  const el = h("div", {
    class: "card interactive-card",
    "data-title": name,
    "data-template": str(card, "cardTemplateId"),
  });
  el.append(h("div", { class: "card-title" }, name));
  /** @type {Array<{ key: string; label: string }>} */
  const fields = Array.isArray(template.fields)
    ? template.fields.map((/** @type {unknown} */ f) => ({
        key: str(f, "key"),
        label: str(f, "label") || str(f, "key"),
      }))
    : [];
  // Variables the template does not list are still the card's data: show them after the listed ones.
  const listed = new Set(fields.map((f) => f.key));
  for (const key of Object.keys(data)) if (!listed.has(key)) fields.push({ key, label: key });
  const shown = fields.filter((f) => f.key && data[f.key] !== undefined && data[f.key] !== "");
  if (shown.length > 0) {
    el.append(
      h(
        "dl",
        { class: "card-fields" },
        ...shown.flatMap((f) => [
          h("dt", { "data-key": f.key }, f.label),
          h("dd", { "data-key": f.key }, data[f.key] ?? ""),
        ]),
      ),
    );
  }
  const buttons = Array.isArray(template.buttons) ? template.buttons : [];
  if (buttons.length > 0) {
    el.append(
      h(
        "div",
        {
          class: `card-buttons ${buttons.length <= 3 ? "horizontal" : "vertical"}`,
          role: "group",
          "aria-label": `${name} 按钮`,
        },
        ...buttons.map((/** @type {unknown} */ b) =>
          h(
            "button",
            {
              type: "button",
              class: "card-button card-action",
              "data-out-track-id": str(card, "outTrackId"),
              "data-action-id": str(b, "actionId"),
            },
            str(b, "title") || str(b, "actionId"),
          ),
        ),
      ),
    );
  }
  return el;
}

/**
 * The bubble content of a card message (`via: "card"`), as the given person sees it.
 * @param {Body} card the message body: the card's state and its template
 * @param {string} userId who looks at it (their private data is shown)
 * @param {string} robotName the robot that posted it
 */
export function renderCard(card, userId, robotName) {
  const data = visibleData(card, userId);
  if (str(card, "cardTemplateId") === AI_CARD_TEMPLATE_ID) return aiCard(data, robotName);
  if (card.legacy === true && typeof data.cardData === "string") return legacyCard(data.cardData);
  return interactiveCard(card, data);
}

/**
 * Whether a card message is still changing (an AI card thinking or streaming): its list item is marked
 * aria-busy, so a screen reader reads it once it is done rather than at every update.
 * @param {Body} card
 */
export function cardBusy(card) {
  if (str(card, "cardTemplateId") !== AI_CARD_TEMPLATE_ID) return false;
  const state = aiState(visibleData(card, ""));
  return state === "thinking" || state === "streaming";
}

/**
 * The conversation list's one-line summary of a card.
 * @param {Body} card
 */
export function cardPreview(card) {
  const data = visibleData(card, "");
  if (str(card, "cardTemplateId") === AI_CARD_TEMPLATE_ID) {
    const state = aiState(data);
    if (state === "thinking") return "[AI 卡片] 思考中…";
    return `[AI 卡片] ${data.msgTitle || (data.msgContent ?? "").slice(0, 40)}`;
  }
  return `[卡片] ${str(card.template, "name") || str(card, "cardTemplateId")}`;
}

/**
 * A press on a card's button, as the composer's person: `POST /_emulator/cards/:outTrackId/actions`. The
 * emulator sends the callback to the bot and applies its answer; the card then redraws from its
 * `message-updated` event. The outcome is told on the composer's status line.
 * @param {HTMLButtonElement} button a `button.card-action`
 */
export async function pressCardButton(button) {
  const outTrackId = button.dataset.outTrackId ?? "";
  const actionId = button.dataset.actionId ?? "";
  const userId = ui.from.value;
  if (!outTrackId || !userId) {
    setStatus("先选择发送人，再点卡片按钮 · Pick who presses it first", "error");
    return;
  }
  const title = button.textContent ?? actionId;
  // aria-disabled, not disabled: a disabled button would lose the keyboard focus.
  button.setAttribute("aria-disabled", "true");
  button.setAttribute("aria-busy", "true");
  setStatus(`正在提交「${title}」… Sending the press`, "pending");
  try {
    const response = await fetch(`/_emulator/cards/${encodeURIComponent(outTrackId)}/actions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId, ...(actionId ? { actionId } : {}), params: {} }),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      setStatus(`按钮未生效 (${response.status})：${result.error ?? response.statusText}`, "error");
    } else if (!result.delivered) {
      setStatus(`机器人没有收到「${title}」：${result.error ?? "未送达"}`, "error");
    } else if (result.error) {
      setStatus(`机器人收到了「${title}」，但回答未应用：${result.error}`, "error");
    } else {
      setStatus(`「${title}」已送达机器人${result.applied ? "，卡片已更新" : ""} · Delivered`, "ok");
    }
  } catch (error) {
    setStatus(`按钮未生效：${error instanceof Error ? error.message : String(error)}`, "error");
  } finally {
    // The card may have been redrawn meanwhile; then this button is gone and the new one is enabled.
    button.removeAttribute("aria-disabled");
    button.removeAttribute("aria-busy");
  }
}
