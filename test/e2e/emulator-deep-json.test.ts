/**
 * Issue 11 item 4: one deeply nested body must not disable the emulator's read API. Every path that reads a
 * JSON body caps its nesting (DingTalk's paths answer as DingTalk does to an unreadable body), and the chat
 * page's event stream and snapshot survive a message that cannot be serialised. Real server, real fetch.
 */
import { MAX_JSON_DEPTH } from "dingbot-sdk/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../../packages/dingbot-tools/src/emulator/index.js";

/** A 9 KB text nested 4,500 deep, as in the issue. */
const DEEP = `${"[".repeat(4500)}${"]".repeat(4500)}`;
const DEEP_MESSAGE = `{"msgtype":"text","text":{"content":"hi"},"extra":${DEEP}}`;
const JSON_TYPE = { "content-type": "application/json" };

let emulator: Emulator;
let url: string;
let logged: string[];

beforeEach(async () => {
  logged = [];
  emulator = createEmulator({ log: (line) => logged.push(line) });
  url = await emulator.listen(0);
});
afterEach(async () => {
  await emulator.close();
});

const post = (path: string, body: string, headers: Record<string, string> = JSON_TYPE) =>
  fetch(`${url}${path}`, { method: "POST", headers, body });

async function readApiStillWorks(): Promise<void> {
  expect((await fetch(`${url}/_emulator/messages`)).status).toBe(200);
  expect((await fetch(`${url}/_emulator/snapshot`)).status).toBe(200);
}

/** A body nested `depth` deep, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { v: value };
  return value as Record<string, unknown>;
}

describe("deeply nested bodies are refused at the door", () => {
  it("/robot/send answers 40035 缺少参数 json, records a rejection, and the read API keeps answering", async () => {
    emulator.store.createRobot({ accessToken: "deep" });
    const answer = await post("/robot/send?access_token=deep", DEEP_MESSAGE);
    expect(await answer.json()).toEqual({ errcode: 40035, errmsg: "缺少参数 json" });
    expect(emulator.store.messages).toHaveLength(0);
    expect(emulator.store.rejections.at(-1)).toMatchObject({ reason: "body", errcode: 40035 });
    await readApiStillWorks();
    // Just under the cap is still a message (unknown top-level keys are kept, as before).
    const fine = `{"msgtype":"text","text":{"content":"hi"},"extra":${"[".repeat(MAX_JSON_DEPTH - 1)}${"]".repeat(MAX_JSON_DEPTH - 1)}}`;
    expect(await (await post("/robot/send?access_token=deep", fine)).json()).toEqual({
      errcode: 0,
      errmsg: "ok",
    });
  });

  it("/robot/sendBySession answers the same", async () => {
    const app = emulator.store.createApp({ appKey: "deep-app" });
    const conversation = emulator.store.createConversation({ title: "群" });
    const now = Date.now();
    const { session } = emulator.ctx.webhook.sessions.create(
      {
        conversationId: conversation.conversationId,
        robotCode: app.robotCode,
        msgId: "m1",
        expiresAt: now + 60_000,
      },
      now,
    );
    const answer = await post(`/robot/sendBySession?session=${session}`, DEEP_MESSAGE);
    expect(await answer.json()).toEqual({ errcode: 40035, errmsg: "缺少参数 json" });
    await readApiStillWorks();
  });

  it("the control API answers 400 naming the cap", async () => {
    const answer = await post("/_emulator/robots", `{"name":"x","extra":${DEEP}}`);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toMatch(`deeper than ${MAX_JSON_DEPTH}`);
    expect(emulator.store.robots.size).toBe(0);
  });

  it("the app API answers in DingTalk's shapes (new API 400, old API 40035), msgParam too", async () => {
    emulator.store.createApp({ appKey: "k", appSecret: "s", agentId: 1 });
    const fresh = await post("/v1.0/oauth2/accessToken", `{"appKey":"k","appSecret":"s","x":${DEEP}}`);
    expect(fresh.status).toBe(400);
    expect(await fresh.json()).toMatchObject({ code: "invalidParameter.param.invalid" });

    const token = (
      (await (await fetch(`${url}/gettoken?appkey=k&appsecret=s`)).json()) as { access_token: string }
    ).access_token;
    const old = await post(
      `/topapi/message/corpconversation/asyncsend_v2?access_token=${token}`,
      `{"agent_id":1,"userid_list":"u","msg":${JSON.stringify(nested(200))}}`,
    );
    expect(await old.json()).toMatchObject({ errcode: 40035 });

    const newToken = (
      (await (await post("/v1.0/oauth2/accessToken", '{"appKey":"k","appSecret":"s"}')).json()) as {
        accessToken: string;
      }
    ).accessToken;
    const oto = await post(
      "/v1.0/robot/oToMessages/batchSend",
      JSON.stringify({
        robotCode: "k",
        userIds: ["u"],
        msgKey: "sampleText",
        msgParam: JSON.stringify({ content: "x", extra: nested(200) }),
      }),
      { ...JSON_TYPE, "x-acs-dingtalk-access-token": newToken },
    );
    expect(oto.status).toBe(400);
    expect(await oto.json()).toMatchObject({ code: "invalidParameter.msgParam.invalid" });
    await readApiStillWorks();
  });
});

describe("a message that cannot be serialised (recorded by a path without the cap)", () => {
  it("is dropped from the page's event stream with a log line, without failing the request that recorded it", async () => {
    const events = await fetch(`${url}/_emulator/events`);
    const reader = events.body!.getReader();
    await reader.read(); // ": connected"
    const conversation = emulator.store.createConversation({ title: "群" });
    // Before the fix the store's event listener threw here, inside the sender's request.
    expect(() =>
      emulator.store.recordMessage({
        conversationId: conversation.conversationId,
        sender: { kind: "app", id: "x", name: "x" },
        via: "inline-reply",
        body: { msgtype: "text", extra: nested(200_000) },
      }),
    ).not.toThrow();
    expect(logged.some((line) => line.startsWith("dropped a message event for the chat page"))).toBe(true);
    await reader.cancel();

    const snapshot = await fetch(`${url}/_emulator/snapshot`);
    expect(snapshot.status).toBe(200);
    const world = (await snapshot.json()) as { messages: Array<{ body: { msgtype: string } }> };
    expect(world.messages.map((m) => m.body.msgtype)).toEqual(["unreadable"]);
    const list = await fetch(`${url}/_emulator/messages`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as Array<{ body: { msgtype: string } }>)[0]!.body.msgtype).toBe("unreadable");
  });
});
