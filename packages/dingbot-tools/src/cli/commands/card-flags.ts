/**
 * The flags of `dingbot card send | update | stream`, as commander parses them: a type of their own, so the
 * actions do not import the registration (no import cycle).
 * @module
 */
import type { AppFlags } from "./app-flags.js";

/** Flags every card command has: the app's, and the robot that posts. */
export interface CardFlags extends AppFlags {
  robotCode?: string;
}

/** Where a card goes: one of the two. */
export interface CardTargetFlags {
  /** A group's openConversationId. */
  conversation?: string;
  /** A person's userid (the card goes to their 1:1 chat with the robot). */
  user?: string;
}

/** Flags of `dingbot card send`. */
export interface CardSendFlags extends CardFlags, CardTargetFlags {
  template?: string;
  data: string[];
  outTrackId?: string;
}

/** Flags of `dingbot card update`. */
export interface CardUpdateFlags extends CardFlags {
  data: string[];
}

/** Flags of `dingbot card stream`. */
export interface CardStreamFlags extends CardFlags, CardTargetFlags {
  title?: string;
}
