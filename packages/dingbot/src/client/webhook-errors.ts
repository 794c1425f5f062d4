/**
 * Turns a `/robot/send` answer with errcode ≠ 0 into a typed error: RateLimitedError for throttling,
 * AuthError for security settings (310000) and unknown tokens, ApiError for the rest.
 * The error carries errcode, errmsg, kind and a fix hint, never the access token or the secret.
 * @module
 */
import { ApiError, AuthError, RateLimitedError } from "../errors.js";
import { WEBHOOK_RATE_WINDOW_MS } from "../protocol/constants.js";
import { describeErrcode } from "../protocol/errcodes.js";

/** Errcode of every custom-robot security failure (keyword, signature, timestamp, IP). */
export const SECURITY_ERRCODE = 310000;
/** Errcodes that mean "this token does not exist". */
const UNKNOWN_TOKEN_ERRCODES = new Set([300001, 300005, 400101]);

/** Context of {@link webhookError}. */
export interface WebhookErrorContext {
  /** The endpoint without host or query, e.g. `POST /robot/send`. */
  endpoint: string;
  /** HTTP status of the answer (DingTalk uses 200). */
  status: number;
  /** Literal secrets to mask should DingTalk echo them (token, secret). */
  secrets?: readonly (string | undefined)[];
  /** How long to wait after a rate-limit answer (default: one rate window, 60 s). */
  rateLimitWaitMs?: number;
}

/**
 * A more precise hint for 310000, whose cause is only in errmsg (wording varies: English, "description:",
 * "错误描述:").
 * @param errmsg - DingTalk's errmsg
 */
export function securityHint(errmsg: string): string | undefined {
  // Newer errmsgs append a "solution:" that mentions timestamps even for a bad signature: read only the cause.
  const cause = errmsg.split(/solution:|解决方案[:：]/i)[0] ?? errmsg;
  const lower = cause.toLowerCase();
  if (lower.includes("keyword") || cause.includes("关键词")) {
    return "The robot's keyword must appear in the message: add one of its keywords (set in the robot's security settings) to the text.";
  }
  // The current text for a stale timestamp is "机器人发送签名过期" (signature expired): test before "签名".
  if (lower.includes("timestamp") || cause.includes("时间戳") || cause.includes("过期")) {
    return "The signature's timestamp is more than an hour away from DingTalk's clock: fix this machine's clock (NTP).";
  }
  if (lower.includes("sign") || cause.includes("签名")) {
    return "The signature does not match: use the robot's SEC… secret from its 加签 setting, exactly as shown.";
  }
  if (lower.includes("whitelist") || lower.includes("ip ") || cause.includes("白名单")) {
    return "This machine's egress IP is not in the robot's IP whitelist: add it in the robot's security settings.";
  }
  return undefined;
}

/**
 * Builds the typed error for a refused `/robot/send`.
 * @param errcode - DingTalk's errcode (≠ 0)
 * @param errmsg - DingTalk's errmsg
 * @param context - endpoint, status, secrets to mask
 * @example
 * webhookError(310000, "keywords not in content", { endpoint: "POST /robot/send", status: 200 })
 * // AuthError, kind "config", hint "The robot's keyword must appear in the message…"
 */
export function webhookError(errcode: number, errmsg: string, context: WebhookErrorContext): ApiError {
  const info = describeErrcode(errcode, errmsg);
  // The error classes redact errmsg themselves, with these secrets.
  const options = { secrets: context.secrets ?? [] };
  const details = {
    status: context.status,
    errcode,
    errmsg,
    endpoint: context.endpoint,
    kind: info.kind,
    hint: (errcode === SECURITY_ERRCODE ? securityHint(errmsg) : undefined) ?? info.hint,
  };
  if (info.kind === "rate-limit") {
    return new RateLimitedError(
      {
        ...details,
        retryAfterMs: context.rateLimitWaitMs ?? WEBHOOK_RATE_WINDOW_MS,
      },
      options,
    );
  }
  if (errcode === SECURITY_ERRCODE || UNKNOWN_TOKEN_ERRCODES.has(errcode))
    return new AuthError(details, options);
  return new ApiError(details, options);
}
