/**
 * What the app commands (`notify`, `robot send`, `token`, `api`) say about the client's errors: what was
 * wrong and how to fix it. The exit codes come from the CLI's one table (report-error.ts).
 * @module
 */
import { ApiError, AuthError, HttpError, RequestError, ValidationError } from "dingbot-sdk/client";
import { type DescribeError, jsonReport } from "../report-error.js";

/** Describes the app client's errors; undefined for anything else. */
export const describeAppError: DescribeError = (error) => {
  if (error instanceof ValidationError) return { message: `${error.message} (nothing was sent)` };
  if (error instanceof AuthError) {
    const hint = error.hint ?? "check DINGTALK_APP_KEY / DINGTALK_APP_SECRET, and the app's permissions";
    return refused(
      error,
      `DingTalk refused the credentials: ${error.errcode ?? error.apiCode} ${error.errmsg}`,
      hint,
    );
  }
  if (error instanceof ApiError) {
    return refused(
      error,
      `DingTalk refused ${error.endpoint}: ${error.errcode ?? error.apiCode} ${error.errmsg}`,
      error.hint,
    );
  }
  if (error instanceof HttpError || error instanceof RequestError) {
    return {
      message: error.message,
      hint: "check the network, and --base-url / DINGTALK_BASE_URL if you use the emulator",
    };
  }
  return undefined;
};

/** A refusal by DingTalk: its codes go into the JSON line too. */
function refused(error: ApiError, message: string, hint: string | undefined) {
  const codes = {
    ...(error.errcode !== undefined ? { errcode: error.errcode } : {}),
    ...(error.apiCode !== undefined ? { code: error.apiCode } : {}),
    errmsg: error.errmsg,
  };
  return { message, ...(hint ? { hint } : {}), json: jsonReport(message, hint, codes) };
}
