/**
 * Seed 001's answering robot (a Django view in the original), written with dingbot.
 *
 *   DINGTALK_APP_SECRET=… npx dingbot serve examples/answer-bot.ts --port 3000
 *
 * Someone @-mentions the robot in a group (or writes to it 1:1) and it answers:
 * "text" → a text reply quoting the message and @-ing the sender; "markdown" → markdown;
 * "整體跳轉"/"整体跳转" → an action card with one whole-card link; "獨立跳轉"/"独立跳转" → an action card with
 * two buttons; "feed" → a feed card with two items; anything else → `{"msgtype":"empty"}` (no reply).
 * The signature check, the one-hour window and the reply transport are dingbot's job.
 */
import { Bot } from "dingbot-sdk/bot";

const bot = new Bot();

const CARD_TITLE = "州的先生 Python 實戰教程合集";
const CARD_TEXT =
  " \n #### 州的先生 Python 實戰教程合集 \n\n 學習Python的一個好方法就是用實際的項目來熟練語言";
const FEED_PICTURE = "https://img.alicdn.com/tfs/TB1NwmBEL9TBuNjy1zbXXXpepXa-2400-1218.png";

bot.hears("text", (ctx) => ctx.replyText(`你剛剛發的消息是:[${ctx.text}]`, { at: true }));

bot.hears("markdown", (ctx) =>
  ctx.replyMarkdown("州的先生機器人助理", "## 這是什么? \n 這是一個釘釘機器人 \n ", { at: true }),
);

bot.hears(["整體跳轉", "整体跳转"], (ctx) =>
  ctx.replyActionCard({
    title: CARD_TITLE,
    text: CARD_TEXT,
    singleTitle: "閱讀全文",
    singleURL: "http://mrdoc.zmister.com",
  }),
);

bot.hears(["獨立跳轉", "独立跳转"], (ctx) =>
  ctx.replyButtons({
    title: CARD_TITLE,
    text: CARD_TEXT,
    buttons: [
      { title: "去看看", actionURL: "http://mrdoc.zmister.com" },
      { title: "不感興趣", actionURL: "https://zmister.com/" },
    ],
  }),
);

bot.hears("feed", (ctx) =>
  ctx.replyFeedCard([
    { title: "時代的火車向前開1", messageURL: "http://mrdoc.zmister.com", picURL: FEED_PICTURE },
    { title: "時代的火車向前開2", messageURL: "https://zmister.com/", picURL: FEED_PICTURE },
  ]),
);

// Anything else: answer the callback with {"msgtype":"empty"}, as the seed does.
bot.use((ctx) => ctx.noReply());

export default bot;
