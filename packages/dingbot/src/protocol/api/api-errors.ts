/**
 * The error answers of the app APIs (protocol sections 4.4 and 5.5) and how a client treats each code.
 * Old API: HTTP 200 with `{errcode, errmsg}` (topapi adds `sub_code`, a string). New API: 4xx/5xx with
 * `{code, message, requestid}`.
 * @module
 */
import { z } from "zod";
import type { ErrcodeKind } from "../errcodes.js";

/** An old-API error body. */
export const OldApiErrorSchema = z.looseObject({
  errcode: z.number().int(),
  errmsg: z.string().default(""),
  sub_code: z.union([z.string(), z.number()]).optional(),
  sub_msg: z.string().optional(),
  request_id: z.string().optional(),
});
/** A new-API error body. */
export const NewApiErrorSchema = z.looseObject({
  code: z.string(),
  message: z.string().default(""),
  requestid: z.string().optional(),
});
/** An old-API error body. */
export type OldApiError = z.infer<typeof OldApiErrorSchema>;
/** A new-API error body. */
export type NewApiError = z.infer<typeof NewApiErrorSchema>;

/** How the app client treats a refused call. `auth` means: the token is bad, get a new one and retry once. */
export type AppErrorKind = ErrcodeKind | "auth" | "credentials";

/** Old-API errcodes meaning "this access_token is not valid (any more)". */
export const OLD_TOKEN_INVALID_CODES: ReadonlySet<number> = new Set([40014, 42001, 40001, 33001]);
/** topapi's wrapper errcode: the real reason is in `sub_code`. */
export const TOPAPI_WRAPPED_ERRCODE = 88;
/** Old-API throttling errcodes (per app per API, global per API, monthly quota). */
export const OLD_THROTTLE_CODES: ReadonlySet<number> = new Set([90018, 90002, 90001, 90005, 90006]);
/** New-API codes meaning "this token is not valid". */
export const NEW_TOKEN_INVALID_CODES: ReadonlySet<string> = new Set(["InvalidAuthentication"]);
/** New-API throttling codes share this prefix (`QpsLimitForAppkeyAndApi`, `QpsLimitForApi`). */
export const NEW_THROTTLE_PREFIX = "Forbidden.AccessDenied.Qps";

/** Hints for the codes people meet most, keyed by errcode or code. */
const HINTS: Record<string, string> = {
  "40096":
    "Check DINGTALK_APP_KEY and DINGTALK_APP_SECRET (the app's credentials page in the developer console).",
  "40089": "Check DINGTALK_APP_KEY and DINGTALK_APP_SECRET.",
  invalidClientIdOrSecret: "Check DINGTALK_APP_KEY and DINGTALK_APP_SECRET (the app's credentials page).",
  "41001": "The access_token query parameter is missing.",
  "60121": "No user has this mobile number or userid in the organisation.",
  "60011": "Grant the app this API's permission scope in the developer console.",
  "60020": "Add this machine's egress IP to the app's IP whitelist.",
  "40056": "Use the app's own AgentId (DINGTALK_AGENT_ID), not another app's.",
  "90018": "Slow down: at most 20 calls per second per API for standard organisations.",
  "90002": "DingTalk throttles this API for everyone right now: wait a second and retry.",
  "90020": "The organisation's monthly API quota is used up.",
  "22": "The API path is wrong.",
  "Forbidden.AccessDenied.AccessTokenPermissionDenied":
    "Grant the app this API's permission scope in the developer console.",
  "Forbidden.AccessDenied.IpNotInWhiteList": "Add this machine's egress IP to the app's IP whitelist.",
  "invalidParameter.msgKey.invalid":
    "Use one of the msgKeys of the catalogue (sampleText, sampleMarkdown, …).",
  "invalidParameter.robotCode.notExsit": "Use the robotCode of the app (for internal apps, the appKey).",
};

/**
 * Classifies an old-API error. topapi wraps the real cause as errcode 88 with `sub_code`.
 * @param errcode - DingTalk's errcode
 * @param subCode - topapi's `sub_code`, if any
 */
export function classifyOldApiError(
  errcode: number,
  subCode?: string | number,
): { kind: AppErrorKind; hint?: string } {
  const sub = subCode === undefined ? undefined : Number(subCode);
  const effective =
    errcode === TOPAPI_WRAPPED_ERRCODE && sub !== undefined && !Number.isNaN(sub) ? sub : errcode;
  const hint = HINTS[String(effective)];
  const withHint = (kind: AppErrorKind) => (hint ? { kind, hint } : { kind });
  if (OLD_TOKEN_INVALID_CODES.has(effective)) return withHint("auth");
  if (effective === 40096 || effective === 40089 || effective === 41001 || effective === 40000) {
    return withHint("credentials");
  }
  if (OLD_THROTTLE_CODES.has(effective)) return withHint("rate-limit");
  if (effective === 90020) return withHint("permanent");
  if (effective === -1) return withHint("transient");
  if (effective === 60011 || effective === 60020 || effective === 40056) return withHint("config");
  return withHint("content");
}

/**
 * Classifies a new-API error code.
 * @param code - DingTalk's `code`
 * @param status - the HTTP status
 */
export function classifyNewApiError(code: string, status: number): { kind: AppErrorKind; hint?: string } {
  const hint = HINTS[code];
  const withHint = (kind: AppErrorKind) => (hint ? { kind, hint } : { kind });
  if (NEW_TOKEN_INVALID_CODES.has(code)) return withHint("auth");
  if (code === "invalidClientIdOrSecret" || code.startsWith("AuthenticationFailed"))
    return withHint("credentials");
  if (code.startsWith(NEW_THROTTLE_PREFIX) || code === "send.too.fast" || status === 429)
    return withHint("rate-limit");
  if (code.startsWith("Forbidden.")) return withHint("config");
  if (status >= 500) return withHint("transient");
  return withHint("content");
}
