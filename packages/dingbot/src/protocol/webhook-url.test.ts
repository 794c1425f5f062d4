import { describe, expect, it } from "vitest";
import { webhookToken } from "./webhook-url.js";

const WEBHOOK = "https://oapi.dingtalk.com/robot/send";

describe("webhookToken", () => {
  it("reads the access_token of a custom robot's webhook, decoded once", () => {
    expect(webhookToken(`${WEBHOOK}?access_token=abc123`)).toBe("abc123");
    expect(webhookToken(`${WEBHOOK}?timestamp=1&access_token=a%2Bb&sign=x`)).toBe("a+b");
    expect(webhookToken(new URL(`${WEBHOOK}?access_token=abc`))).toBe("abc");
    expect(webhookToken(new URLSearchParams("access_token=abc"))).toBe("abc");
  });

  it("has none when the parameter is absent or empty, or the string is not a URL", () => {
    expect(webhookToken(WEBHOOK)).toBeUndefined();
    expect(webhookToken(`${WEBHOOK}?access_token=`)).toBeUndefined();
    expect(webhookToken("not a url?access_token=abc")).toBeUndefined();
    expect(webhookToken("")).toBeUndefined();
  });

  it("reads a sessionWebhook's session only when asked to, after access_token", () => {
    const session = "https://oapi.dingtalk.com/robot/sendBySession?session=s1";
    expect(webhookToken(session)).toBeUndefined();
    expect(webhookToken(session, ["access_token", "session"])).toBe("s1");
    expect(webhookToken(`${session}&access_token=t1`, ["access_token", "session"])).toBe("t1");
    expect(webhookToken(`${WEBHOOK}?access_token=t1`, ["session"])).toBeUndefined();
  });
});
