// Seed 001's group message for examples/answer-bot.ts's "text" route, as the HTTP callback benches send it:
// the JSON text split around the msgId, so each request gets a distinct msgId without a JSON.stringify.
// Used by bench/bot-http.mjs (over sockets) and bench/_bot-http-cpu.mjs (without).

/** The callback's JSON text before and after its msgId. */
export function seed001CallbackParts() {
  const now = Date.now();
  const template = {
    conversationId: "cidAsXSBLnA==",
    atUsers: [{ dingtalkId: "$:LWCP_v1:$4xTgHFUDZ8Qi8qr3" }],
    chatbotCorpId: "ding9f50b15bccd16741",
    chatbotUserId: "$:LWCP_v1:$4xTgHFUDZ8Qi8qr3",
    msgId: "__MSGID__",
    senderNick: "楊xx",
    isAdmin: true,
    senderStaffId: "user123",
    sessionWebhookExpiredTime: now + 5_400_000,
    createAt: now,
    senderCorpId: "ding9f50b15bccd16741",
    conversationType: "2",
    senderId: "$:LWCP_v1:$Ff09GIxxxxx",
    conversationTitle: "機器人測試-TEST",
    isInAtList: true,
    sessionWebhook: "http://127.0.0.1:9/robot/sendBySession?session=bench",
    text: { content: " text" },
    robotCode: "dingbench",
    msgtype: "text",
  };
  const [before, after] = JSON.stringify(template).split("__MSGID__");
  return { before, after };
}
