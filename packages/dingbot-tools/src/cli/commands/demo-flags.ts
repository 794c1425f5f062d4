/**
 * The flags of `dingbot demo`, as commander parses them: a type of its own, so the action does not import
 * the registration (no import cycle).
 * @module
 */
/** Flags of `dingbot demo`. */
export interface DemoFlags {
  port: string;
  host: string;
  traffic: boolean;
}
