/**
 * The flags of `dingbot api`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
import type { AppFlags } from "./app-flags.js";

/** Flags of `dingbot api`. */
export interface ApiFlags extends AppFlags {
  data?: string;
  query: string[];
}
