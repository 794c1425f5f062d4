/**
 * examples/ai-bot.ts against the DingTalk emulator started in-process, over Stream mode: a question is
 * answered in a streamed AI card that ends finished (flowStatus 3) holding exactly the generated answer,
 * then a feedback card whose 👍 button reaches `bot.action` and changes the card.
 *
 *   npx vitest run examples/ai-bot.test.ts
 */
import { streamTransport } from "dingbot-sdk";
import { AI_CARD_TEMPLATE_ID } from "dingbot-sdk/protocol";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import bot, { cannedAnswer, FEEDBACK_CARD_TEMPLATE, FEEDBACK_TEMPLATE_ID, tokensOf } from "./ai-bot.js";

const APP = { appKey: "dingaibottest", appSecret: "a-test-secret-only-the-emulator-knows" };

let emulator: Emulator;
let baseUrl: string;
let groupId: string;

/** Calls the emulator's control API and returns the JSON answer. */
async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface CardView {
  outTrackId: string;
  cardTemplateId: string;
  cardParamMap: Record<string, string>;
  privateData: Record<string, Record<string, string>>;
  flowStatus?: string;
  finalized: boolean;
}

const cards = () =>
  control<CardView[]>("GET", `/_emulator/cards?conversationId=${encodeURIComponent(groupId)}`);

/** Polls the group's cards until `pick` finds one. */
async function waitForCard(pick: (card: CardView) => boolean, what: string): Promise<CardView> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await cards()).find(pick);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  emulator = createEmulator();
  baseUrl = await emulator.listen(0);
  await control("POST", "/_emulator/apps", { ...APP, name: "AI 助手", mode: "stream" });
  await control("POST", "/_emulator/users", { userId: "zhangsan", name: "张三", mobile: "13800000001" });
  const group = await control<{ conversationId: string }>("POST", "/_emulator/conversations", {
    type: "group",
    title: "测试群",
    members: ["zhangsan"],
    robots: [APP.appKey],
  });
  groupId = group.conversationId;
  // What the card platform holds on DingTalk: the feedback card's template.
  await control("POST", "/_emulator/card-templates", FEEDBACK_CARD_TEMPLATE);
  // The credentials also build the bot's card client (the emulator's card API at baseUrl).
  bot.configure({ ...APP, baseUrl });
  await bot.start(streamTransport({ clientId: APP.appKey, clientSecret: APP.appSecret, baseUrl }));
});

afterAll(async () => {
  await bot.stop();
  await emulator?.close();
});

describe("examples/ai-bot.ts", () => {
  it("tokenizes the canned answer without losing a character", () => {
    const answer = cannedAnswer("什么是 Stream 模式？");
    expect(tokensOf(answer).join("")).toBe(answer);
    expect(tokensOf(answer).length).toBeGreaterThan(50);
  });

  it("answers a question in an AI card that ends finished with the whole answer, then a feedback card", async () => {
    const question = "什么是告警收敛？";
    const sent = await control<{ delivered: boolean }>(
      "POST",
      `/_emulator/conversations/${encodeURIComponent(groupId)}/messages`,
      { from: "zhangsan", text: question, atRobot: APP.appKey },
    );
    expect(sent.delivered).toBe(true);
    const ai = await waitForCard(
      (card) => card.cardTemplateId === AI_CARD_TEMPLATE_ID && card.flowStatus === "3",
      "the AI card to finish",
    );
    expect(ai.cardParamMap.msgContent).toBe(cannedAnswer(question));
    expect(ai.cardParamMap.msgTitle).toBe("AI 助手");
    expect(ai.finalized).toBe(true);
    const feedback = await waitForCard(
      (card) => card.cardTemplateId === FEEDBACK_TEMPLATE_ID,
      "the feedback card",
    );
    expect(feedback.cardParamMap).toEqual({ question, feedback: "这个回答有帮助吗？" });
  });

  it("a 👍 press through the emulator reaches bot.action, and its card update is applied", async () => {
    const feedback = await waitForCard(
      (card) => card.cardTemplateId === FEEDBACK_TEMPLATE_ID,
      "the feedback card",
    );
    const pressed = await control<{ delivered: boolean; applied: boolean; card: CardView }>(
      "POST",
      `/_emulator/cards/${encodeURIComponent(feedback.outTrackId)}/actions`,
      { userId: "zhangsan", actionId: "thumbs-up" },
    );
    expect(pressed).toMatchObject({ delivered: true, applied: true });
    expect(pressed.card.cardParamMap.feedback).toBe("👍 zhangsan 觉得有用");
    expect(pressed.card.privateData.zhangsan).toEqual({ myVote: "up" });
    const after = await control<CardView>(
      "GET",
      `/_emulator/cards/${encodeURIComponent(feedback.outTrackId)}`,
    );
    expect(after.cardParamMap.feedback).toBe("👍 zhangsan 觉得有用");
  });
});
