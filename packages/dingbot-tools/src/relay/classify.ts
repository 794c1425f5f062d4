/**
 * What the scheduler does with a failed send: wait out the rate window, retry with backoff, or dead-letter.
 * @module
 */
import { ApiError, HttpError, RequestError, ValidationError } from "dingbot-sdk";

/** The scheduler's reading of a send failure. */
export type Verdict =
  | { action: "wait-window"; reason: string }
  | { action: "retry"; reason: string }
  | { action: "dead-letter"; reason: string };

/**
 * Classifies an error thrown by a {@link Sender}.
 * Rate limit → wait; 5xx, resets, timeouts and errcode -1 → retry; everything DingTalk refused for good
 * (310000, unknown token, disbanded group, content) and invalid messages → dead-letter.
 * @param error - what the sender threw
 */
export function classifyFailure(error: unknown): Verdict {
  if (error instanceof ApiError) {
    const reason = `errcode ${error.errcode ?? error.apiCode ?? error.status}: ${error.errmsg}`;
    if (error.kind === "rate-limit") return { action: "wait-window", reason };
    if (error.kind === "transient") return { action: "retry", reason };
    return { action: "dead-letter", reason: `${error.kind}: ${reason}` };
  }
  if (error instanceof HttpError) {
    return error.retryable
      ? { action: "retry", reason: `HTTP ${error.status}` }
      : { action: "dead-letter", reason: `HTTP ${error.status}` };
  }
  if (error instanceof RequestError) return { action: "retry", reason: error.message };
  if (error instanceof ValidationError)
    return { action: "dead-letter", reason: `invalid message: ${error.message}` };
  // Anything unexpected (a bug, an odd network error): retrying is the safe side; attempts are bounded.
  return { action: "retry", reason: error instanceof Error ? error.message : String(error) };
}
