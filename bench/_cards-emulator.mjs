// Child process of bench/cards.mjs: an emulator with the given card QPS limit and card data cap on a loopback
// port, with one Stream-mode app, one person and one group holding both. Prints {base, app, group, userId}
// on stdout; exits when stdin closes. Usage: _cards-emulator.mjs <cardQps> <cardDataMaxBytes>
import { createEmulator } from "dingbot-tools/emulator";
import { announceUntilStdinCloses } from "./_emulator-child.mjs";

const [cardQps, cardDataMaxBytes] = process.argv.slice(2).map(Number);
const emulator = createEmulator({ cardQps, cardDataMaxBytes });
const app = emulator.store.createApp({ mode: "stream", name: "AI 助手" });
const user = emulator.store.createUser({ userId: "benchuser", name: "张三" });
const group = emulator.store.createConversation({
  type: "group",
  title: "卡片压测群",
  members: [user.userId],
  robots: [app.robotCode],
});
const base = await emulator.listen(0);
announceUntilStdinCloses(emulator, {
  base,
  app: { appKey: app.appKey, appSecret: app.appSecret, robotCode: app.robotCode },
  group: group.conversationId,
  userId: user.userId,
});
