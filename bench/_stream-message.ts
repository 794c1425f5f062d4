// The robot message both Stream load generators of bench/stream.mjs push (the emulator and the push-only
// gateway, _stream-firehose.ts): a 1:1 text with a distinct msgId, so no push is a de-duplication hit.
import { randomBytes } from "node:crypto";

/**
 * Message number `i` for one app's robot.
 * @param i - its number, in its text and its sessionWebhook
 * @param robot - the app's robot
 * @param baseUrl - where its sessionWebhook points
 */
export function benchRobotMessage(
  i: number,
  robot: { chatbotUserId: string; robotCode: string },
  baseUrl: string,
): Record<string, unknown> {
  const now = Date.now();
  return {
    msgtype: "text",
    text: { content: `bench ${i}` },
    msgId: `msg${randomBytes(12).toString("base64")}`,
    createAt: now,
    conversationType: "1",
    conversationId: "cidBench==",
    senderId: "$:LWCP_v1:$bench",
    senderNick: "压测",
    senderStaffId: "user001",
    sessionWebhook: `${baseUrl}/robot/sendBySession?session=${i}`,
    sessionWebhookExpiredTime: now + 5_400_000,
    chatbotUserId: robot.chatbotUserId,
    robotCode: robot.robotCode,
  };
}
