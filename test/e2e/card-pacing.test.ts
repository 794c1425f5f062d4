/**
 * Card calls of one app are paced against the emulator's card QPS limit (issue 13): many answers streamed at
 * once, through two AppClients of the same app, wait for free slots instead of being refused.
 */
import { AppClient, streamAiCardTo } from "dingbot-sdk";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type StreamWorld, startStreamWorld } from "./stream-helpers.js";

let world: StreamWorld;
let group: string;

beforeEach(async () => {
  // A low limit, so a handful of answers is already a burst.
  world = await startStreamWorld({ cardQps: 5 });
  world.emulator.store.createUser({ userId: "manager1234", name: "张三" });
  group = world.emulator.store.createConversation({
    type: "group",
    title: "限流群",
    members: ["manager1234"],
    robots: [world.app.robotCode],
  }).conversationId;
});

afterEach(async () => {
  await world.emulator.close();
});

it("16 concurrent answers through two clients of one app at cardQps 5: all finished cards, not one refusal", async () => {
  const options = {
    appKey: world.app.appKey,
    appSecret: world.app.appSecret,
    baseUrl: world.baseUrl,
    cardQps: 5,
  };
  const clients = [new AppClient(options), new AppClient(options)];
  async function* answer(k: number) {
    for (let i = 0; i < 5; i += 1) {
      await new Promise((r) => setTimeout(r, 40));
      yield `答案${k}-${i} `;
    }
  }
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, k) =>
      streamAiCardTo(clients[k % 2]!, { group }, answer(k), { title: `问题 ${k}`, minIntervalMs: 50 }),
    ),
  );
  expect(results.every((r) => r.via === "card")).toBe(true);
  const refusals = world.emulator.store.rejections.filter((r) => r.reason === "rate-limit");
  expect(refusals).toEqual([]);
  for (const [k, result] of results.entries()) {
    const card = (await (await fetch(`${world.baseUrl}/_emulator/cards/${result.outTrackId}`)).json()) as {
      cardParamMap: Record<string, string>;
    };
    expect(card.cardParamMap).toMatchObject({
      flowStatus: "3",
      msgContent: Array.from({ length: 5 }, (_, i) => `答案${k}-${i} `).join(""),
    });
  }
}, 60_000);
