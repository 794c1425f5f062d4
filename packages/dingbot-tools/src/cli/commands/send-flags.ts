/**
 * The flags of `dingbot send`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
import type { MessageFlags } from "../message-flags.js";

/** Flags of `dingbot send`. */
export interface SendFlags extends MessageFlags {
  webhook?: string;
  secret?: string;
  keyword: string[];
  dryRun?: boolean;
  output: "text" | "json";
  verbose?: boolean;
  baseUrl?: string;
}
