/**
 * Long AI-card answers against the emulator (issue 13): a 1 MiB answer is larger than a card holds and than
 * one request or message may be, yet the person gets all of it: the card's head plus markdown messages, or,
 * when the card is refused, messages alone (and the card, if it was opened, marked failed).
 */
import { AI_CARD_FALLBACK_NOTE, AI_CARD_OVERFLOW_NOTE, AppClient, streamAiCardTo } from "dingbot-sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requestJson, type StreamWorld, startStreamWorld } from "./stream-helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies field by field
type Json = Record<string, any>;

let world: StreamWorld;
let group: string;

const control = (method: string, path: string, body?: unknown) =>
  requestJson<Json>(world.baseUrl, method, path, body);

/** At least 1 MiB of UTF-8: paragraphs of Chinese and ASCII, with a code block now and then. */
function longAnswer(): string {
  const parts: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < 1024 * 1024; i += 1) {
    const paragraph =
      i % 25 === 0
        ? `\`\`\`ts\nconst step${i} = "第${i}步";\nconsole.log(step${i});\n\`\`\`\n\n`
        : `第${i}段：这是一个很长的回答，用来检查卡片和消息能否完整送达。 Paragraph ${i} says "quoted" things.\n\n`;
    parts.push(paragraph);
    bytes += Buffer.byteLength(paragraph);
  }
  return parts.join("");
}

/** The group's markdown messages from the robot OpenAPI, in order. */
function markdownTexts(): string[] {
  return world.emulator.store
    .listMessages({ conversationId: group })
    .filter((m) => (m.body as Json).msgtype === "markdown")
    .map((m) => (m.body as Json).markdown.text as string);
}

beforeEach(async () => {
  world = await startStreamWorld();
  world.emulator.store.createUser({ userId: "manager1234", name: "张三" });
  group = world.emulator.store.createConversation({
    type: "group",
    title: "长回答群",
    members: ["manager1234"],
    robots: [world.app.robotCode],
  }).conversationId;
});

afterEach(async () => {
  await world.emulator.close();
});

describe("a 1 MiB answer against the emulator", () => {
  const client = () =>
    new AppClient({ appKey: world.app.appKey, appSecret: world.app.appSecret, baseUrl: world.baseUrl });

  it("arrives whole: the card holds its head with a note, markdown messages the rest", async () => {
    const whole = longAnswer();
    const chunks = Array.from({ length: Math.ceil(whole.length / 4096) }, (_, i) =>
      whole.slice(i * 4096, (i + 1) * 4096),
    );
    const result = await streamAiCardTo(client(), { group }, chunks, { title: "长回答" });
    expect(result.via).toBe("card");
    const card = await control("GET", `/_emulator/cards/${result.outTrackId}`);
    expect(card.flowStatus).toBe("3");
    const content = card.cardParamMap.msgContent as string;
    expect(content.endsWith(AI_CARD_OVERFLOW_NOTE)).toBe(true);
    const head = content.slice(0, -AI_CARD_OVERFLOW_NOTE.length);
    const rest = markdownTexts();
    expect(result.messages).toBe(rest.length);
    expect(rest.length).toBeGreaterThan(1);
    expect(head + rest.join("")).toBe(whole);
    // The card's head ends at a paragraph boundary, and no code block is cut across messages.
    expect(head.endsWith("\n\n")).toBe(true);
    for (const text of rest) expect((text.match(/```/g) ?? []).length % 2).toBe(0);
  }, 60_000);

  it("when streaming is refused, arrives whole as messages and the card is marked failed", async () => {
    // The app may create cards but not stream into them: streaming is refused for good, at once.
    await control("POST", "/_emulator/card-permissions", {
      appKey: world.app.appKey,
      granted: ["Card.Instance.Write"],
    });
    const whole = longAnswer();
    const result = await streamAiCardTo(client(), { group }, [whole], { title: "长回答" });
    expect(result.via).toBe("markdown");
    expect(markdownTexts().join("")).toBe(whole);
    expect(result.messages).toBe(markdownTexts().length);
    const card = await control("GET", `/_emulator/cards/${result.outTrackId}`);
    expect(card.flowStatus).toBe("5");
    expect(card.cardParamMap.msgContent).toBe(AI_CARD_FALLBACK_NOTE);
  }, 60_000);
});
