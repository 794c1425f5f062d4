/**
 * The flags of `dingbot robot send`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
import type { MessageFlags } from "../message-flags.js";
import type { AppFlags } from "./app-flags.js";

/** Flags of `dingbot robot send`. */
export interface RobotSendFlags extends MessageFlags, AppFlags {
  userId: string[];
  conversationId?: string;
  robotCode?: string;
  msgKey?: string;
  param: string[];
}
