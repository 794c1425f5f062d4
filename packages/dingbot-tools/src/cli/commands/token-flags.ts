/**
 * The flags of `dingbot token`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
import type { AppFlags } from "./app-flags.js";

/** Flags of `dingbot token`. */
export interface TokenFlags extends AppFlags {
  style: "oapi" | "api";
  show?: boolean;
}
