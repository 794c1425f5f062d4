/**
 * DingTalk's throttling errcode for `/robot/send` is uncertain (410100 documented, 130101 quoted in public
 * issues, 660026 from one probe). The emulator answers whichever it is told; the library's WebhookClient
 * must treat each of them as a rate limit.
 */

import { RateLimitedError, WebhookClient } from "dingbot-sdk/client";
import { createEmulator } from "dingbot-tools/emulator";
import { describe, expect, it } from "vitest";

describe("WebhookClient against each throttling errcode of the emulator", () => {
  it.each([410100, 130101, 660026] as const)("throws RateLimitedError for %i", async (rateLimitErrcode) => {
    const emulator = createEmulator({
      rateLimit: 1,
      rateWindowMs: 60_000,
      blockMs: 60_000,
      rateLimitErrcode,
    });
    const base = await emulator.listen(0);
    try {
      const { accessToken } = emulator.store.createRobot();
      const client = new WebhookClient({
        url: `${base}/robot/send?access_token=${accessToken}`,
        env: {},
        rateLimit: false,
        retries: 0,
      });
      await client.sendText("first");
      const error = await client.sendText("second").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error).toMatchObject({ errcode: rateLimitErrcode });
    } finally {
      await emulator.close();
    }
  });
});
