import { describe, expect, it } from "vitest";
import { redactText, redactUrl } from "./redact.js";

const TOKEN = "a64487796eb55203949dfb7cbcd5f4ce";

describe("redactUrl", () => {
  it("masks every secret query value and keeps the rest of the URL", () => {
    expect(
      redactUrl(`https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}&timestamp=1&sign=abc%2B%3D`),
    ).toBe("https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***");
    expect(redactUrl("https://oapi.dingtalk.com/robot/sendBySession?session=76da36b48f59e8")).toBe(
      "https://oapi.dingtalk.com/robot/sendBySession?session=***",
    );
  });

  it("leaves a URL without secrets as it was", () => {
    expect(redactUrl("https://api.dingtalk.com/v1.0/gateway/connections/open")).toBe(
      "https://api.dingtalk.com/v1.0/gateway/connections/open",
    );
  });

  it("falls back to text redaction for something that is not a URL", () => {
    expect(redactUrl(`not a url ?access_token=${TOKEN}`)).toBe("not a url ?access_token=***");
  });
});

describe("redactText", () => {
  it("masks key=value secrets inside free text, whatever the case of the key", () => {
    expect(redactText(`GET /gettoken?appkey=k&appsecret=s3cr3t failed`)).toBe(
      "GET /gettoken?appkey=k&appsecret=*** failed",
    );
    expect(redactText(`see "https://x/robot/send?ACCESS_TOKEN=${TOKEN}"`)).toBe(
      'see "https://x/robot/send?ACCESS_TOKEN=***"',
    );
    expect(redactText("ticket: ?ticket=abc-def and &clientSecret=xyz")).toBe(
      "ticket: ?ticket=*** and &clientSecret=***",
    );
  });

  it("masks literal secrets wherever they appear", () => {
    expect(redactText(`token ${TOKEN} refused; again ${TOKEN}`, [TOKEN])).toBe(
      "token *** refused; again ***",
    );
  });

  it("ignores undefined and short secrets, which would mask ordinary words", () => {
    expect(redactText("the cat sat", [undefined, "cat", ""])).toBe("the cat sat");
    expect(redactText("abcdef here", ["abcdef"])).toBe("*** here");
  });
});

describe("media download URLs", () => {
  it("masks the signature of a signed object-storage URL, in a URL and in text", () => {
    const url =
      "https://bucket.oss-cn-hangzhou.aliyuncs.com/a.png?Expires=1&OSSAccessKeyId=LTAIkey&Signature=c2ln";
    expect(redactUrl(url)).toBe(
      "https://bucket.oss-cn-hangzhou.aliyuncs.com/a.png?Expires=1&OSSAccessKeyId=***&Signature=***",
    );
    expect(redactText(`GET ${url} failed`)).not.toContain("c2ln");
  });
});
