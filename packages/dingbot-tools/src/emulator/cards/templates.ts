/**
 * Card templates the emulator knows: the official AI card, built in, and the templates a user registers with
 * `POST /_emulator/card-templates` for interactive cards (their fields and buttons).
 * @module
 */
import { AI_CARD_TEMPLATE_ID } from "dingbot-sdk/protocol";

/** One variable of a template. */
export interface CardTemplateField {
  /** The `cardParamMap` key. */
  key: string;
  /** What the chat page shows next to the value (the key when not given). */
  label: string;
}

/** One button of a template: pressing it sends a card callback with its actionId and params. */
export interface CardTemplateButton {
  actionId: string;
  title: string;
  /** Parameters the button always sends (`cardPrivateData.params`). */
  params?: Record<string, unknown>;
}

/** A card template. */
export interface CardTemplate {
  templateId: string;
  name: string;
  fields: CardTemplateField[];
  buttons: CardTemplateButton[];
  /** Built into the emulator (the AI card); survives a reset. */
  builtIn: boolean;
}

/** The official AI card (流式 AI 卡片): markdown streamed into `msgContent`, its state in `flowStatus`. */
export const AI_CARD_TEMPLATE: CardTemplate = {
  templateId: AI_CARD_TEMPLATE_ID,
  name: "AI 卡片",
  fields: [
    { key: "msgTitle", label: "标题" },
    { key: "msgContent", label: "内容" },
    { key: "staticMsgContent", label: "静态内容" },
    { key: "flowStatus", label: "状态" },
    { key: "sys_full_json_obj", label: "sys_full_json_obj" },
  ],
  buttons: [],
  builtIn: true,
};

/** The templates an emulator starts with. */
export function builtInTemplates(): CardTemplate[] {
  return [AI_CARD_TEMPLATE];
}
