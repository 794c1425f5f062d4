/**
 * The flags of `dingbot emulator`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
/** Flags of `dingbot emulator`. */
export interface EmulatorFlags {
  port: string;
  host: string;
  state?: string;
  rateLimit: string;
  rateWindow: string;
  block: string;
  sessionTtl: string;
  callbackTimeout: string;
  callbackAttempts: string;
  /** Extra Host names for the control API (`--allow-host`, repeatable). */
  allowHost: string[];
  requestTimeout: string;
  rateLimitErrcode: string;
  errmsgStyle: string;
  redeliverCallbacks?: boolean;
  cardQps: string;
  cardDataMaxBytes: string;
}
