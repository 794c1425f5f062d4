/**
 * The flags of `dingbot media upload` and `media download`, as commander parses them: types of their own, so
 * the actions do not import the registration (no import cycle).
 * @module
 */
import type { AppFlags } from "./app-flags.js";

/** Flags of `dingbot media upload FILE`. */
export interface MediaUploadFlags extends AppFlags {
  /** `image`, `voice`, `video` or `file` (commander checks the choice). */
  type?: string;
  /** The name DingTalk shows (default the path's base name). */
  fileName?: string;
}

/** Flags of `dingbot media download DOWNLOAD_CODE`. */
export interface MediaDownloadFlags extends AppFlags {
  /** Where to write the file; an existing directory takes the file's own name. */
  out?: string;
  /** The largest file to accept: bytes, or with a unit (`100M`, `512K`, `1G`, binary). */
  maxBytes?: string;
  /** How long the whole download may take (`60s`, `2m`; a bare number is milliseconds). */
  timeout?: string;
  /** The robot the message was sent to (default the app key). */
  robotCode?: string;
}
