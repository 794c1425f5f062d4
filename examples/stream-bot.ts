/**
 * A small echo bot in Stream mode: no public IP, no callback URL. It opens a WebSocket to DingTalk (or to
 * the emulator) and answers every text with the same text.
 *
 *   DINGTALK_APP_KEY=… DINGTALK_APP_SECRET=… npx dingbot serve examples/stream-bot.ts --stream
 *
 * Against the emulator, add DINGTALK_BASE_URL=http://127.0.0.1:8089 (`npm start` runs it for you).
 */
import { Bot } from "dingbot-sdk/bot";

const bot = new Bot();

bot.on("text", (ctx) => ctx.replyText(`回声 echo：${ctx.text ?? ""}`, { at: true }));

// Pictures, files and the rest: say what arrived instead of staying silent.
bot.use((ctx) => ctx.replyText(`收到一条 ${ctx.message.msgtype} 消息`));

export default bot;
