/**
 * The daily report of daily-report.sh, written with the library: `WebhookClient` from `dingbot`.
 *
 *   DINGTALK_WEBHOOK='https://oapi.dingtalk.com/robot/send?access_token=…' DINGTALK_SECRET='SEC…' \
 *     npx tsx examples/daily-report.ts
 *
 * crontab (weekdays at 09:00; the env file holds the two variables and is readable only by you):
 *
 *   0 9 * * 1-5  cd /srv/reports && set -a && . ~/.dingbot-report.env && set +a && npx --no tsx daily-report.ts
 *
 * With DINGTALK_BASE_URL=http://127.0.0.1:8089 it posts to the emulator instead (see daily-report.sh for
 * how to create a robot there).
 */
import { hostname, loadavg } from "node:os";
import { ApiError, messages, ValidationError, WebhookClient } from "dingbot-sdk";

const webhook = process.env.DINGTALK_WEBHOOK;
if (!webhook) {
  console.error("set DINGTALK_WEBHOOK to the robot's webhook URL (and DINGTALK_SECRET for 加签 mode)");
  process.exit(2);
}

// The secret turns on 加签 mode: every request is signed afresh. DINGTALK_BASE_URL is honoured by itself.
// `split: true`: a report over DingTalk's 20000-byte limit goes out as several messages, cut at paragraphs.
const robot = new WebhookClient({
  url: webhook,
  secret: process.env.DINGTALK_SECRET || undefined,
  split: true,
});

const today = new Date().toISOString().slice(0, 10);
const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(" ");
const report = [
  `### 日报 ${today}`,
  "",
  `- **主机**: ${hostname()}`,
  `- **负载**: ${load}`,
  "",
  "> 由 dingbot 每日 09:00 自动发送",
].join("\n");

try {
  const result = await robot.send(messages.markdown(`日报 ${today}`, report));
  console.log(`sent (${result.parts} message${result.parts > 1 ? "s" : ""})`);
} catch (error) {
  // ValidationError: nothing was sent. ApiError (and its RateLimitedError, AuthError): DingTalk refused it;
  // the message names the errcode and says how to fix it. Neither contains the token or the secret.
  if (error instanceof ValidationError) console.error(`not sent: ${error.message}`);
  else if (error instanceof ApiError) console.error(`DingTalk refused: ${error.message}`);
  else console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
