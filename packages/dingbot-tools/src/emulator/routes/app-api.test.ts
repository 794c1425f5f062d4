import { describe, expect, it } from "vitest";
import { endlessBody } from "../../../../../test/helpers/bodies.js";
import { createEmulator } from "../emulator.js";

const APP_KEY = "dingappreview01";
const APP_SECRET = "review-secret-0123456789abcdef";

describe("emulator app API", () => {
  it("refuses an over-long chunked body as soon as it passes the cap instead of buffering it all", async () => {
    const emulator = createEmulator();
    emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: 1, name: "review" });
    const token = (await (
      await emulator.app.request(`http://emu.test/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`)
    ).json()) as { access_token: string };
    const response = await emulator.app.request(
      `http://emu.test/topapi/message/corpconversation/asyncsend_v2?access_token=${token.access_token}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: endlessBody(2_000_000),
        duplex: "half",
      } as RequestInit,
    );
    const body = (await response.json()) as { errcode?: number; sub_msg?: string; errmsg?: string };
    expect(body.errcode).not.toBe(0);
    expect(JSON.stringify(body)).toContain("1000000");
  });
});
