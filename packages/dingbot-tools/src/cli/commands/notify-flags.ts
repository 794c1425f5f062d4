/**
 * The flags of `dingbot notify`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
import type { MessageFlags } from "../message-flags.js";
import type { AppFlags } from "./app-flags.js";

/** Flags of `dingbot notify`. */
export interface NotifyFlags extends MessageFlags, AppFlags {
  mobile: string[];
  userId: string[];
  dept: string[];
  all?: boolean;
  wait?: boolean;
  timeout: string;
}
