/**
 * The frame router with a recording link: frames nested beyond the JSON depth cap are refused without
 * throwing, and events reach only a transport that has a handler for them.
 */
import { describe, expect, it } from "vitest";
import type { Logger } from "../../../logger.js";
import { MsgIdCache } from "../../msg-id-cache.js";
import type { Link } from "./connection.js";
import { FrameRouter, type FrameRouterConfig } from "./frame-router.js";

function setup(config: Partial<FrameRouterConfig> = {}) {
  const sent: Array<{ code: number; headers: { messageId: string }; message: string; data: string }> = [];
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (_obj, msg) => warnings.push(msg ?? ""),
    error: () => {},
  };
  const link = { send: (text: string) => sent.push(JSON.parse(text)), retire: () => {} } as unknown as Link;
  const dispatched: unknown[] = [];
  const router = new FrameRouter({
    ackPolicy: "on-receipt",
    dedupe: new MsgIdCache({ max: 100, ttlMs: Number.POSITIVE_INFINITY }),
    logger,
    now: () => 0,
    onEvent: undefined,
    stats: { dispatched: 0, cardCallbacks: 0, duplicates: 0, acks: 0, failures: 0, reconnects: 0 },
    handlerStarted: () => {},
    handlerSettled: () => {},
    ...config,
  });
  router.dispatch = async (update) => void dispatched.push(update);
  return { router, link, sent, warnings, dispatched };
}

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("FrameRouter", () => {
  it("ignores a frame nested beyond the depth cap instead of throwing", () => {
    const { router, link, sent, warnings } = setup();
    expect(() => router.route(nested(100_000), link)).not.toThrow();
    expect(sent).toEqual([]);
    expect(warnings).toEqual(["stream frame is nested too deeply; ignored"]);
  });

  it("acks a robot message whose data is nested beyond the depth cap with 400 and does not dispatch it", () => {
    const { router, link, sent, dispatched } = setup();
    const frame = {
      specVersion: "1.0",
      type: "CALLBACK",
      headers: { topic: "/v1.0/im/bot/messages/get", messageId: "m1", contentType: "application/json" },
      data: `{"a":${nested(100_000)}}`,
    };
    router.route(JSON.stringify(frame), link);
    expect(sent).toMatchObject([
      { code: 400, headers: { messageId: "m1" }, message: "message nested too deeply" },
    ]);
    expect(dispatched).toEqual([]);
  });

  it("answers an EVENT it has no handler for with 404, so the event is not consumed", () => {
    const { router, link, sent } = setup();
    const frame = {
      specVersion: "1.0",
      type: "EVENT",
      headers: { topic: "*", messageId: "e1", eventType: "user_add_org", contentType: "application/json" },
      data: "{}",
    };
    router.route(JSON.stringify(frame), link);
    expect(sent).toMatchObject([{ code: 404, headers: { messageId: "e1" } }]);
  });

  it("acks and dispatches a robot message of a msgtype dingbot does not know, as `unknown`", async () => {
    const { router, link, sent, dispatched } = setup();
    const message = {
      msgId: "msgLoc==",
      conversationType: "1",
      conversationId: "cid1",
      senderId: "$:s",
      msgtype: "location",
      content: { latitude: 1 },
    };
    const frame = {
      specVersion: "1.0",
      type: "CALLBACK",
      headers: { topic: "/v1.0/im/bot/messages/get", messageId: "m2", contentType: "application/json" },
      data: JSON.stringify(message),
    };
    router.route(JSON.stringify(frame), link);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toMatchObject([{ code: 200, headers: { messageId: "m2" } }]);
    expect(dispatched).toMatchObject([
      { message: { msgtype: "unknown", originalMsgtype: "location", content: { latitude: 1 } } },
    ]);
  });

  it("echoes any messageId in its ack as valid JSON, quotes and backslashes included", () => {
    const { router, link, sent } = setup();
    const ids = ["plain-id_1.2:3", 'with"quote', "back\\slash", "中文", "line\nbreak", ""];
    ids.forEach((messageId, i) => {
      const message = { msgId: `msg${i}`, conversationType: "1", conversationId: "c", senderId: "s" };
      const frame = {
        type: "CALLBACK",
        headers: { topic: "/v1.0/im/bot/messages/get", messageId },
        data: JSON.stringify({ ...message, msgtype: "text", text: { content: "hi" } }),
      };
      router.route(JSON.stringify(frame), link);
    });
    // An empty messageId is not acked (there is nothing to match it with); every other one is, verbatim.
    expect(sent.map((ack) => ack.headers.messageId)).toEqual(ids.slice(0, -1));
    expect(sent.every((ack) => ack.code === 200 && ack.data === '{"response":null}')).toBe(true);
  });
});
