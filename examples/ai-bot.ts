/**
 * An "AI" bot in Stream mode that needs no model and no network: each question is answered by streaming a
 * canned bilingual answer, token by token, into DingTalk's AI card (`ctx.replyStream`), followed by a small
 * feedback card with 👍 / 👎 buttons whose presses come back through `bot.action`.
 *
 *   DINGTALK_APP_KEY=… DINGTALK_APP_SECRET=… npx dingbot serve examples/ai-bot.ts --stream
 *
 * Against the emulator add DINGTALK_BASE_URL=http://127.0.0.1:8089; `npm start` runs this bot as
 * "AI 助手" in 运维告警群 (docs/demo.md). Replace `answerTokens` with your model's token stream.
 *
 * Why two cards: the official AI card template (`382e4302-…`) has no buttons, and a card's template cannot be
 * changed once delivered. Buttons need a template of your own, built and published in DingTalk's card
 * platform (卡片平台) with the variables `question` and `feedback` and two callback buttons whose actionIds
 * are `thumbs-up` and `thumbs-down`; give its id in DINGTALK_FEEDBACK_TEMPLATE_ID. The emulator takes the
 * same template from its control API: `POST /_emulator/card-templates` with {@link FEEDBACK_CARD_TEMPLATE}
 * (the demo does this for you). Without the template the answer still arrives; only the feedback card is
 * left out (logged).
 */
import { Bot } from "dingbot-sdk/bot";

/** The feedback card's template id (DINGTALK_FEEDBACK_TEMPLATE_ID, or the one the emulator is given). */
export const FEEDBACK_TEMPLATE_ID = process.env.DINGTALK_FEEDBACK_TEMPLATE_ID ?? "dingbot-ai-feedback.schema";

/** The feedback card's template, as the emulator's `POST /_emulator/card-templates` takes it. */
export const FEEDBACK_CARD_TEMPLATE = {
  templateId: FEEDBACK_TEMPLATE_ID,
  name: "回答反馈",
  fields: [
    { key: "question", label: "问题" },
    { key: "feedback", label: "反馈" },
  ],
  buttons: [
    { actionId: "thumbs-up", title: "👍 有用" },
    { actionId: "thumbs-down", title: "👎 没用" },
  ],
};

/** The canned answer to a question (what a model would have said). */
export function cannedAnswer(question: string): string {
  const topic = question.trim().slice(0, 60) || "这个问题";
  return [
    `关于「${topic}」，这是一个离线的示例回答 (an offline sample answer)：`,
    "",
    "1. 这段文字由 examples/ai-bot.ts 里的小生成器逐词产生，没有联网，也没有模型 (no network, no model)。",
    "2. dingbot 把这些 token 合并成整段快照，每 300 ms 至多写入 AI 卡片一次 (coalesced snapshots)。",
    "3. 写完后卡片显示「执行完成」；下面的卡片可以用 👍 / 👎 评价这个回答。",
  ].join("\n");
}

/** Splits text the way a model's tokens come: a word, one or two Chinese characters, a space, a mark. */
export function tokensOf(text: string): string[] {
  return text.match(/[A-Za-z0-9_./'-]+|\p{Script=Han}{1,2}|\s+|./gsu) ?? [];
}

/**
 * The offline "model": yields the canned answer to `question` token by token with a small pause each.
 * @param question - what the person asked
 * @param delayMs - pause before each token (default 25 ms: about three seconds for an answer)
 */
export async function* answerTokens(question: string, delayMs = 25): AsyncGenerator<string> {
  for (const token of tokensOf(cannedAnswer(question))) {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    yield token;
  }
}

const bot = new Bot();

bot.on("text", async (ctx) => {
  const question = ctx.text?.trim() ?? "";
  const { via } = await ctx.replyStream(answerTokens(question), { title: "AI 助手" });
  // A refused card already fell back to markdown: a feedback card would be refused too.
  if (via !== "card") return;
  try {
    await ctx.replyCard({
      templateId: FEEDBACK_TEMPLATE_ID,
      data: { question: question || "（空）", feedback: "这个回答有帮助吗？" },
    });
  } catch (error) {
    ctx.logger.warn(
      { err: error instanceof Error ? error.message : String(error), templateId: FEEDBACK_TEMPLATE_ID },
      "ai-bot: the feedback card was not sent (is its template published?)",
    );
  }
});

// 👍 / 👎: the public line says who found it useful; the presser's own choice is kept as private data.
bot.action(/^thumbs-(up|down)$/, (ctx) => {
  const up = ctx.match?.[1] === "up";
  ctx.updateCard(
    { feedback: up ? `👍 ${ctx.card.userId} 觉得有用` : `👎 ${ctx.card.userId} 觉得没用` },
    { myVote: up ? "up" : "down" },
  );
});

export default bot;
