import { describe, expect, it } from "vitest";
import { LOG_REDACT_PATHS, logRedaction } from "./logger.js";

describe("logRedaction", () => {
  it("censors a URL down to its secrets and anything else entirely", () => {
    const { censor } = logRedaction({ secrets: ["SECabcdefgh"] });
    expect(censor("https://oapi.dingtalk.com/robot/send?access_token=abc123&x=SECabcdefgh")).toBe(
      "https://oapi.dingtalk.com/robot/send?access_token=***&x=***",
    );
    expect(censor("SECabcdefgh")).toBe("***");
    expect(censor(42)).toBe("***");
  });

  it("lists explicit paths, and nested ones only when asked", () => {
    expect(logRedaction().paths).toEqual([...LOG_REDACT_PATHS]);
    expect(logRedaction().paths.some((path) => path.includes("*"))).toBe(false);
    const nested = logRedaction({ nested: true }).paths;
    expect(nested).toContain("*.webhook");
    expect(nested).toContain("sessionWebhook");
  });

  it("works as pino's redact option", async () => {
    const { pino } = await import("pino");
    const lines: string[] = [];
    const logger = pino(
      { base: undefined, redact: logRedaction({ nested: true }) },
      { write: (line: string) => lines.push(line) },
    );
    logger.info(
      {
        appSecret: "s3cret",
        sessionWebhook: "https://x/robot/sendBySession?session=abcdef",
        req: { token: "t" },
      },
      "hi",
    );
    const line = JSON.parse(lines[0] ?? "{}");
    expect(line.appSecret).toBe("***");
    expect(line.sessionWebhook).toBe("https://x/robot/sendBySession?session=***");
    expect(line.req.token).toBe("***");
  });
});
