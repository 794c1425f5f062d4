/**
 * The library's WebhookClient against the real emulator on a loopback port: the limiter keeps a burst under
 * the emulator's rate window (and without it the same burst is throttled), split messages arrive whole,
 * and signing plus keyword injection pass the emulator's independent security checks.
 */

import { RateLimitedError, WebhookClient } from "dingbot-sdk/client";
import { messages } from "dingbot-sdk/protocol";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SECRET = "SECwebhookclientemulator0123456789abcdef";
let emulator: Emulator;
let base: string;

beforeAll(async () => {
  // A short window so the bursts take seconds, not minutes. Clients use 1000 ms against the emulator's 300:
  // the emulator counts arrivals, and on a loaded machine arrival jitter is hundreds of milliseconds.
  emulator = createEmulator({ rateLimit: 3, rateWindowMs: 300, blockMs: 2000 });
  base = await emulator.listen(0);
});

afterAll(async () => {
  await emulator?.close();
});

const robot = (input: Parameters<Emulator["store"]["createRobot"]>[0] = {}) => {
  const record = emulator.store.createRobot(input);
  return { record, url: `${base}/robot/send?access_token=${record.accessToken}` };
};

describe("WebhookClient against the emulator", () => {
  it("queues a burst within the robot's rate window, so nothing is throttled", async () => {
    const { record, url } = robot();
    const client = new WebhookClient({ url, env: {}, rateLimit: { limit: 3, windowMs: 1000 }, retries: 0 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.sendText(`burst ${i}`)));
    expect(emulator.store.listMessages({ accessToken: record.accessToken })).toHaveLength(8);
    expect(emulator.store.rejections.filter((r) => r.reason === "rate-limit")).toHaveLength(0);
  });

  it("is throttled by a burst with the limiter off", async () => {
    const { url } = robot();
    const client = new WebhookClient({ url, env: {}, rateLimit: false, retries: 0 });
    // 20 at once: even spread out by a loaded machine, more than 3 arrive within some 300 ms.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => client.sendText(`burst ${i}`)),
    );
    const throttled = results.filter((r) => r.status === "rejected" && r.reason instanceof RateLimitedError);
    expect(throttled.length).toBeGreaterThan(0);
  });

  it("splits a long markdown message into parts that all arrive and join back to the text", async () => {
    const { record, url } = robot({ secret: SECRET, keywords: ["日报"] });
    const FENCE = "```";
    const fence = `${FENCE}sh\n${"echo 构建\n".repeat(400)}${FENCE}\n\n`;
    const text = Array.from(
      { length: 12 },
      (_, i) => `## 第${i}节\n\n${"内容很长。".repeat(300)}\n\n${i % 3 === 0 ? fence : ""}`,
    ).join("");
    const client = new WebhookClient({
      url,
      secret: SECRET,
      keywords: ["日报"],
      split: true,
      rateLimit: { limit: 3, windowMs: 1000 },
      env: {},
    });
    const result = await client.sendMarkdown("日报", text);
    const bodies = emulator.store.listMessages({ accessToken: record.accessToken }).map((m) => m.body);
    expect(result.parts).toBeGreaterThan(1);
    expect(bodies).toHaveLength(result.parts);
    const parts = bodies.map((b) => (b.markdown as { text: string }).text);
    expect(parts.join("")).toBe(text);
    for (const body of bodies) expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(20_000);
    // Every part has an even number of fence lines: no code block is cut.
    for (const part of parts) expect((part.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it("injects the robot's keyword so the emulator's keyword check passes", async () => {
    const { record, url } = robot({ keywords: ["告警"] });
    const client = new WebhookClient({
      url,
      keywords: ["告警"],
      injectKeyword: true,
      rateLimit: false,
      env: {},
    });
    await client.send(messages.link({ title: "磁盘", text: "90% full", messageUrl: "https://example.com" }));
    expect(emulator.store.listMessages({ accessToken: record.accessToken })).toHaveLength(1);
  });
});
