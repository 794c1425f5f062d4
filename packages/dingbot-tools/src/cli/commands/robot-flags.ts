/**
 * The flags of `dingbot robot send` and `robot recall`, as commander parses them: types of their own, so the
 * actions do not import the registration (no import cycle).
 * @module
 */
import type { MessageFlags } from "../message-flags.js";
import type { AppFlags } from "./app-flags.js";

/** The media flags of `dingbot robot send`: one picture, file, voice note or video instead of a message. */
export interface RobotMediaFlags {
  /** A picture: a path (uploaded) or an http(s) URL (sent as it is). */
  image?: string;
  /** A file to upload and send. */
  file?: string;
  /** The name people see for `--file` (default the path's base name). */
  fileName?: string;
  /** A voice note (amr, mp3, wav). */
  audio?: string;
  /** A video (mp4); needs `cover`. */
  video?: string;
  /** The video's cover picture. */
  cover?: string;
  /** Length of the voice note or video: `4500`, `4500ms`, `4.5s`, `1m` (a bare number is milliseconds). */
  duration?: string;
}

/** Flags of `dingbot robot send`. */
export interface RobotSendFlags extends MessageFlags, RobotMediaFlags, AppFlags {
  userId: string[];
  conversationId?: string;
  robotCode?: string;
  msgKey?: string;
  param: string[];
}

/** Flags of `dingbot robot recall`. */
export interface RobotRecallFlags extends AppFlags {
  /** The group the messages went to; without it the keys are of 1:1 messages. */
  conversationId?: string;
  robotCode?: string;
}
