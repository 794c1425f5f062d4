/**
 * The flags of `dingbot relay` and its subcommands, as commander parses them: types of their own, so the
 * actions do not import the registration (no import cycle).
 * @module
 */

/** Flags of `dingbot relay`. */
export interface RelayFlags {
  config: string;
  port?: string;
}

/** Flags of `dingbot relay check`. */
export interface RelayCheckFlags {
  config?: string;
  sendTest?: boolean;
}

/** Flags of `dingbot relay dlq`. */
export interface RelayDlqFlags {
  config: string;
  output?: string;
}
