import { describe, expect, it } from "vitest";
import {
  ApiError,
  AuthError,
  BotError,
  HttpError,
  RateLimitedError,
  RequestError,
  ValidationError,
} from "./errors.js";

const TOKEN = "a64487796eb55203949dfb7cbcd5f4ce";
const SECRET = "SECabcdefghijklmnop";
const secrets = [TOKEN, SECRET];
const details = { status: 200, endpoint: "POST /robot/send", kind: "config" as const };

describe("errors redact what they are given, in their constructors", () => {
  it("ApiError and its subclasses mask the secrets in errmsg and message", () => {
    for (const Make of [ApiError, AuthError, RateLimitedError]) {
      const error = new Make(
        { ...details, errcode: 1, errmsg: `token ${TOKEN} with ${SECRET}` },
        { secrets },
      );
      expect(error.errmsg).toBe("token *** with ***");
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).not.toContain(SECRET);
    }
  });

  it("masks a session webhook URL in errmsg even without literal secrets", () => {
    const error = new ApiError({
      ...details,
      errcode: 1,
      errmsg: "bad https://oapi.dingtalk.com/robot/sendBySession?session=76da36b48f59e8",
    });
    expect(error.errmsg).toBe("bad https://oapi.dingtalk.com/robot/sendBySession?session=***");
  });

  it("HttpError masks its body snippet and message", () => {
    const error = new HttpError(502, "POST /robot/send", `upstream said ${TOKEN}`, { secrets });
    expect(error.bodySnippet).toBe("upstream said ***");
    expect(error.message).toBe("POST /robot/send failed with HTTP 502: upstream said ***");
    expect(error.retryable).toBe(true);
  });

  it("RequestError masks its message and keeps the cause, not the secrets", () => {
    const cause = new Error("socket hang up");
    const error = new RequestError("POST /robot/send", `connect to ?access_token=${TOKEN}`, {
      cause,
      secrets,
    });
    expect(error.message).toBe("POST /robot/send: connect to ?access_token=***");
    expect(error.cause).toBe(cause);
    expect(Object.values(error)).not.toContain(secrets);
  });

  it("ValidationError masks its message and gives issues without a code the code 'invalid'", () => {
    const error = new ValidationError(`bad ${SECRET}`, [{ path: "secret", message: "empty" }], "outbound", {
      secrets,
    });
    expect(error.message).toBe("bad ***");
    expect(error.issues).toEqual([{ code: "invalid", path: "secret", message: "empty" }]);
  });

  it("BotError masks the handler's message and keeps the error as its cause", () => {
    const thrown = new Error(`no luck with ${SECRET}`);
    const error = new BotError(thrown, { id: 1 }, { secrets });
    expect(error.message).toBe("a bot handler threw: no luck with ***");
    expect(error.cause).toBe(thrown);
    expect(error.ctx).toEqual({ id: 1 });
  });
});
