/**
 * DingTalk-shaped refusals of the app APIs, thrown by handlers and turned into answers by the installer.
 * Old API: HTTP 200 with `{errcode, errmsg}` (topapi wraps auth failures as 88 + `sub_code`);
 * new API: 4xx with `{code, message, requestid}`.
 * @module
 */
import { randomUUID } from "node:crypto";

/** A refusal, with the exact body DingTalk sends. */
export class DingTalkRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Short category for the rejection log (token, params, user, …). */
    readonly reason: string,
  ) {
    super(String(body.errmsg ?? body.message ?? "refused"));
    this.name = "DingTalkRefusal";
  }
}

/** A short request id in DingTalk's style. */
export function requestId(): string {
  return randomUUID().replaceAll("-", "").slice(0, 13);
}

/** An old-API refusal: `{errcode, errmsg}` (plus `request_id` on topapi). */
export function oldRefusal(errcode: number, errmsg: string, reason: string, topapi = false): DingTalkRefusal {
  return new DingTalkRefusal(
    200,
    { errcode, errmsg, ...(topapi ? { request_id: requestId() } : {}) },
    reason,
  );
}

/** A topapi refusal wrapped as errcode 88 with a string `sub_code`, as topapi reports auth problems. */
export function topapiWrapped(subCode: string, subMsg: string, reason: string): DingTalkRefusal {
  return new DingTalkRefusal(
    200,
    {
      errcode: 88,
      sub_code: subCode,
      sub_msg: subMsg,
      errmsg: `ding talk error[subcode=${subCode},submsg=${subMsg}]`,
      request_id: requestId(),
    },
    reason,
  );
}

/** A new-API refusal. */
export function newRefusal(status: number, code: string, message: string, reason: string): DingTalkRefusal {
  return new DingTalkRefusal(status, { code, message, requestid: randomUUID().toUpperCase() }, reason);
}
