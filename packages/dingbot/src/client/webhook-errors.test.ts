import { describe, expect, it } from "vitest";
import { ApiError, AuthError, RateLimitedError } from "../errors.js";
import { securityHint, webhookError } from "./webhook-errors.js";

const context = { endpoint: "POST /robot/send", status: 200 };

describe("webhookError()", () => {
  it("maps 310000 to AuthError of kind config, with the keyword hint", () => {
    const error = webhookError(310000, "keywords not in content", context);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.kind).toBe("config");
    expect(error.errcode).toBe(310000);
    expect(error.errmsg).toBe("keywords not in content");
    expect(error.hint).toMatch(/keyword must appear/);
    expect(error.message).toContain("310000");
    expect(error.retryable).toBe(false);
  });

  it.each([130101, 410100, 660026])(
    "maps rate-limit code %i to RateLimitedError with a 60 s wait",
    (errcode) => {
      const error = webhookError(errcode, "send too fast", context);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error.kind).toBe("rate-limit");
      expect((error as RateLimitedError).retryAfterMs).toBe(60_000);
      expect(error.retryable).toBe(true);
    },
  );

  it("recognises throttling under an unknown code from errmsg", () => {
    expect(webhookError(999999, "sending too many messages per minute", context)).toBeInstanceOf(
      RateLimitedError,
    );
  });

  it("maps -1 to a transient ApiError", () => {
    const error = webhookError(-1, "系统繁忙", context);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(AuthError);
    expect(error.kind).toBe("transient");
  });

  it.each([300001, 300005, 400101])("maps unknown-token code %i to a permanent AuthError", (errcode) => {
    const error = webhookError(errcode, "token is not exist", context);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.kind).toBe("permanent");
  });

  it.each([
    [400105, "content"],
    [430102, "content"],
    [400102, "permanent"],
    [400013, "permanent"],
  ] as const)("maps %i to an ApiError of kind %s", (errcode, kind) => {
    const error = webhookError(errcode, "refused", context);
    expect(error.constructor).toBe(ApiError);
    expect(error.kind).toBe(kind);
    expect(error.hint).toBeTruthy();
  });

  it("masks the token and the secret should errmsg echo them", () => {
    const token = "a64487796eb55203949dfb7cbcd5f4ce";
    const secret = "SEC4c4262656fe9585e82ed9004f3688d";
    const error = webhookError(300005, `token ${token} is not exist (secret ${secret})`, {
      ...context,
      secrets: [token, secret],
    });
    const everything = `${error.message} ${error.errmsg} ${JSON.stringify(error)} ${String(error.stack)}`;
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(secret);
  });
});

describe("securityHint()", () => {
  it.each([
    ["keywords not in content", /keyword/],
    ["description:关键词不匹配;solution:请联系群管理员查看此机器人的关键词", /keyword/],
    [
      "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
      /signature does not match/,
    ],
    [
      "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中",
      /signature does not match/,
    ],
    ["invalid timestamp", /clock/],
    ["description:机器人发送签名过期;solution:签名生成时间和发送时间请保持在 timestampms 以内;", /clock/],
    ["ip 10.0.0.1 not in whitelist", /whitelist/],
    ["description:ip 不在白名单中;solution:请联系对应群的管理员", /whitelist/],
  ])("reads the cause of %j", (errmsg, hint) => {
    expect(securityHint(errmsg)).toMatch(hint);
  });

  it("returns undefined when errmsg says nothing recognisable", () => {
    expect(securityHint("消息校验未通过")).toBeUndefined();
  });
});
