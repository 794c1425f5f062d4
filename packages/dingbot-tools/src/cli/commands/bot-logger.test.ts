import { describe, expect, it } from "vitest";
import { createCliLogger } from "./bot-logger.js";

describe("createCliLogger()", () => {
  it("writes JSON lines in one batch per event-loop turn, and flush() writes the rest at once", async () => {
    const writes: string[] = [];
    const logger = createCliLogger((text) => writes.push(text));
    logger.info({ msgId: "a" }, "callback");
    logger.info({ msgId: "b" }, "callback");
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect(
      writes[0]
        ?.trim()
        .split("\n")
        .map((l) => JSON.parse(l).msgId),
    ).toEqual(["a", "b"]);
    logger.warn({ msgId: "c" }, "late");
    logger.flush();
    expect(writes).toHaveLength(2);
  });

  it("censors fields that carry secrets", () => {
    const writes: string[] = [];
    const logger = createCliLogger((text) => writes.push(text));
    logger.info(
      {
        appSecret: "s3cr3t-value",
        sign: "c2lnbmF0dXJl",
        sessionWebhook: "https://x/robot/sendBySession?session=abc",
        headers: { sign: "c2ln", timestamp: "1" },
      },
      "x",
    );
    logger.flush();
    const line = writes.join("");
    expect(line).not.toContain("s3cr3t-value");
    expect(line).not.toContain("c2lnbmF0dXJl");
    expect(line).not.toContain("session=abc");
    expect(JSON.parse(line).appSecret).toBe("***");
    // A URL keeps its host and path (the library's one redaction config), with its secrets masked.
    expect(JSON.parse(line).sessionWebhook).toBe("https://x/robot/sendBySession?session=***");
  });

  it("adds a hint naming DINGTALK_APP_SECRET to a signature mismatch, and none to other lines", () => {
    const writes: string[] = [];
    const logger = createCliLogger((text) => writes.push(text));
    logger.warn({ status: 403, reason: "mismatch" }, "callback rejected");
    logger.info({ msgId: "m", outcome: "inline" }, "callback");
    logger.flush();
    const [mismatch, callback] = writes
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(mismatch.hint).toContain("DINGTALK_APP_SECRET");
    expect(callback.hint).toBeUndefined();
  });
});
