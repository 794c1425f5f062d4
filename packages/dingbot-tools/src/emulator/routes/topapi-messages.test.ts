import { describe, expect, it } from "vitest";
import { createEmulator } from "../emulator.js";

const APP_KEY = "dingappnotify01";
const APP_SECRET = "notify-secret-0123456789abcdef";
const BASE = "http://emu.test";

async function post(
  emulator: ReturnType<typeof createEmulator>,
  path: string,
  token: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await emulator.app.request(`${BASE}${path}?access_token=${token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe("work notifications in the emulator", () => {
  it("answers getsendresult's invalid_dept_id_list as numbers, as DingTalk does (TopSdk: List<Long>)", async () => {
    const emulator = createEmulator({ notificationDelayMs: 0 });
    emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: 7, name: "notify" });
    const { access_token: token } = (await (
      await emulator.app.request(`${BASE}/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`)
    ).json()) as { access_token: string };
    const sent = await post(emulator, "/topapi/message/corpconversation/asyncsend_v2", token, {
      agent_id: 7,
      dept_id_list: "1,42",
      msg: { msgtype: "text", text: { content: "hi" } },
    });
    expect(sent.errcode).toBe(0);
    const result = await post(emulator, "/topapi/message/corpconversation/getsendresult", token, {
      agent_id: 7,
      task_id: sent.task_id,
    });
    expect((result.send_result as Record<string, unknown>).invalid_dept_id_list).toEqual([42]);

    const refused = await post(emulator, "/topapi/message/corpconversation/asyncsend_v2", token, {
      agent_id: 7,
      dept_id_list: "sales",
      msg: { msgtype: "text", text: { content: "hi" } },
    });
    expect(refused.errcode).toBe(40035);
  });
});
