// Seed 001's group message for examples/answer-bot.ts's "text" route, as the HTTP callback benches send it:
// the JSON text split around the msgId, so each request gets a distinct msgId without a JSON.stringify.
// Used by bench/bot-http.mjs and bench/_bot-http-parts.mjs (over sockets) and bench/_bot-http-cpu.mjs (without).
import { createHmac } from "node:crypto";

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

/**
 * Fresh signed callbacks for the load generators: each call of nextHeaders() signs its own timestamp
 * (1 ms apart from half an hour ago, so a run stays inside the hour: the bot refuses a timestamp/sign pair
 * already used for another message), each nextBody() carries its own msgId (never a de-duplication hit).
 * @param {string} secret - the app secret the bot verifies with
 * @param {string} tag - makes the msgIds of this generator distinct from another's
 */
export function signedSeed001Callbacks(secret, tag) {
  const { before, after } = seed001CallbackParts();
  const tsBase = Date.now() - 1_800_000;
  let signed = 0;
  let counter = 0;
  return {
    nextHeaders() {
      const timestamp = String(tsBase + ++signed);
      const sign = createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64");
      return { "content-type": "application/json; charset=utf-8", timestamp, sign };
    },
    nextBody: () => `${before}msg${tag}x${++counter}==${after}`,
  };
}
