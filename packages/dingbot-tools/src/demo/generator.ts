/**
 * The demo's traffic: a few Alertmanager alerts and a GitHub event posted to the relay, and people talking
 * to the bots through the emulator's control API (the AI bot's answer card, and a 👍 on its feedback card).
 * It runs once, then stops.
 * @module
 */
import { createHmac } from "node:crypto";
import { AppClient, workMessages } from "dingbot-sdk/client";
import { demoPicturePng } from "./picture.js";
import type { DemoWorld } from "./world.js";

/** Where the generator sends. */
export interface GeneratorTargets {
  /** The emulator's base URL. */
  emulatorUrl: string;
  /** The relay's base URL, when the relay runs. */
  relayUrl?: string;
  /** GitHub webhook secret of the relay's /github route. */
  githubSecret: string;
  /** Whether the answer bot and the stream bot run. */
  answerBot: boolean;
  streamBot: boolean;
  /** Whether examples/file-bot.ts runs (the picture exchange). */
  fileBot?: boolean;
  /** Whether examples/ai-bot.ts runs, and its feedback card's template (to press 👍 on it). */
  aiBot?: { feedbackTemplateId: string | undefined };
}

/** One step's outcome, for the banner and the tests. */
export interface GeneratorStep {
  what: string;
  ok: boolean;
  detail?: string;
}

/** A firing Alertmanager (webhook version 4) group of two alerts, as Alertmanager posts it. */
export function alertmanagerFiring(now: Date): Record<string, unknown> {
  const startsAt = new Date(now.getTime() - 120_000).toISOString();
  const alert = (name: string, severity: string, instance: string, summary: string) => ({
    status: "firing",
    labels: { alertname: name, severity, instance, job: "node", team: "ops" },
    annotations: { summary, description: `${summary}（实例 ${instance}）` },
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: `http://prometheus.demo.local/graph?g0.expr=${encodeURIComponent(name)}`,
    fingerprint: createHmac("sha256", "fp")
      .update(name + instance)
      .digest("hex")
      .slice(0, 16),
  });
  return {
    version: "4",
    groupKey: '{}:{alertname="HighCPU"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "dingbot-relay",
    groupLabels: { alertname: "HighCPU" },
    commonLabels: { job: "node", team: "ops" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.demo.local",
    alerts: [
      alert("HighCPU", "critical", "web-01:9100", "CPU 使用率超过 95%"),
      alert("DiskAlmostFull", "warning", "db-01:9100", "磁盘剩余空间不足 10%"),
    ],
  };
}

/** The same HighCPU alert, resolved. */
export function alertmanagerResolved(now: Date): Record<string, unknown> {
  const firing = alertmanagerFiring(now) as { alerts: Array<Record<string, unknown>> };
  const cpu = { ...firing.alerts[0], status: "resolved", endsAt: now.toISOString() };
  return { ...firing, status: "resolved", alerts: [cpu] };
}

/** A GitHub `push` event (the fields the relay and DingTalk users care about). */
export function githubPush(): Record<string, unknown> {
  return {
    ref: "refs/heads/main",
    before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    after: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
    compare: "https://github.com/demo/dingbot/compare/6113728f27ae...0d1a26e67d8f",
    repository: { full_name: "demo/dingbot", name: "dingbot", html_url: "https://github.com/demo/dingbot" },
    pusher: { name: "zhangsan", email: "zhangsan@example.com" },
    sender: { login: "zhangsan", html_url: "https://github.com/zhangsan" },
    head_commit: {
      id: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      message: "修复告警路由的匹配规则",
      url: "https://github.com/demo/dingbot/commit/0d1a26e67d8f",
      author: { name: "张三", username: "zhangsan" },
    },
    commits: [
      {
        id: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        message: "修复告警路由的匹配规则",
        url: "https://github.com/demo/dingbot/commit/0d1a26e67d8f",
        author: { name: "张三", username: "zhangsan" },
      },
    ],
  };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<{ ok: boolean; detail: string }> {
  const text = JSON.stringify(body);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: text,
    ...(signal ? { signal } : {}),
  });
  const answer = await response.text();
  return { ok: response.ok, detail: `${response.status} ${answer.slice(0, 200)}` };
}

/**
 * Waits (up to 20 s) for the feedback card the AI bot sends once its answer is finished, then presses its
 * 👍 button through the emulator's control API as `userId`.
 */
async function pressFeedback(
  emulatorUrl: string,
  conversationId: string,
  templateId: string,
  userId: string,
  signal?: AbortSignal,
): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + 20_000;
  const list = `${emulatorUrl}/_emulator/cards?conversationId=${encodeURIComponent(conversationId)}`;
  for (;;) {
    const response = await fetch(list, signal ? { signal } : {});
    const cards = (await response.json()) as Array<{ outTrackId: string; cardTemplateId: string }>;
    const card = cards.find((c) => c.cardTemplateId === templateId);
    if (card) {
      const pressed = await fetch(
        `${emulatorUrl}/_emulator/cards/${encodeURIComponent(card.outTrackId)}/actions`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ userId, actionId: "thumbs-up" }),
          ...(signal ? { signal } : {}),
        },
      );
      const text = await pressed.text();
      const answer = (pressed.ok ? JSON.parse(text) : {}) as { applied?: boolean };
      return { ok: answer.applied === true, detail: `${pressed.status} ${text.slice(0, 200)}` };
    }
    if (Date.now() > deadline || signal?.aborted) {
      return { ok: false, detail: "no feedback card within 20 s (the AI card did not finish)" };
    }
    await sleep(200, signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Runs the scripted traffic once. Failures are reported, never thrown: the demo keeps running.
 * @param signal - stops the script early (Ctrl-C)
 */
export async function runGenerator(
  world: DemoWorld,
  targets: GeneratorTargets,
  signal?: AbortSignal,
  pauseMs = 400,
): Promise<GeneratorStep[]> {
  const steps: GeneratorStep[] = [];
  const step = async (what: string, run: () => Promise<{ ok: boolean; detail: string }>): Promise<void> => {
    if (signal?.aborted) return;
    try {
      const result = await run();
      steps.push({ what, ok: result.ok, ...(result.ok ? {} : { detail: result.detail }) });
    } catch (error) {
      if (signal?.aborted) return;
      steps.push({ what, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
    await sleep(pauseMs, signal);
  };
  const say = (conversationId: string, from: string, text: string, atRobot?: string) =>
    post(
      `${targets.emulatorUrl}/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
      { from, text, ...(atRobot ? { atRobot } : {}) },
      {},
      signal,
    );
  const { relayUrl } = targets;
  if (relayUrl) {
    await step("Alertmanager: 2 alerts firing → relay /alertmanager", () =>
      post(`${relayUrl}/alertmanager`, alertmanagerFiring(new Date()), {}, signal),
    );
    const push = JSON.stringify(githubPush());
    const signature = `sha256=${createHmac("sha256", targets.githubSecret).update(push).digest("hex")}`;
    await step("GitHub: push event → relay /github", async () => {
      const response = await fetch(`${relayUrl}/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
          "x-hub-signature-256": signature,
        },
        body: push,
        ...(signal ? { signal } : {}),
      });
      return { ok: response.ok, detail: `${response.status} ${(await response.text()).slice(0, 200)}` };
    });
  }
  const ops = world.opsGroup.conversationId;
  if (targets.answerBot) {
    await step("张三 → @问答机器人 markdown", () =>
      say(ops, world.zhang.userId, "markdown", world.answerApp.robotCode),
    );
    await step("李四 → @问答机器人 独立跳转", () =>
      say(ops, world.li.userId, "独立跳转", world.answerApp.robotCode),
    );
  }
  if (targets.streamBot) {
    await step("王五 → @回声机器人 (Stream)", () =>
      say(ops, world.wang.userId, "今晚谁值班？", world.streamApp.robotCode),
    );
  }
  if (targets.aiBot) {
    const { feedbackTemplateId } = targets.aiBot;
    await step("张三 → @AI 助手 (Stream): the answer streams into an AI card", () =>
      say(ops, world.zhang.userId, "告警太多了，怎么做告警收敛？", world.aiApp.robotCode),
    );
    if (feedbackTemplateId) {
      await step("李四 presses 👍 on the AI answer's feedback card → bot.action", () =>
        pressFeedback(targets.emulatorUrl, ops, feedbackTemplateId, world.li.userId, signal),
      );
    }
  }
  if (targets.fileBot) {
    // A picture exchange: 李四 sends a small PNG (drawn in code) and the bot answers with its type and size;
    // 张三 asks for a chart and the bot answers with a picture (uploaded, then sent through the robot OpenAPI).
    await step("李四 → @文件机器人 a picture (PNG) → its type, size and dimensions", async () => {
      const upload = await fetch(`${targets.emulatorUrl}/_emulator/media`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          fileName: "机房.png",
          base64: Buffer.from(demoPicturePng()).toString("base64"),
        }),
        ...(signal ? { signal } : {}),
      });
      if (!upload.ok) return { ok: false, detail: `${upload.status} ${(await upload.text()).slice(0, 200)}` };
      const { mediaId } = (await upload.json()) as { mediaId: string };
      return post(
        `${targets.emulatorUrl}/_emulator/conversations/${encodeURIComponent(ops)}/messages`,
        { from: world.li.userId, msgtype: "picture", content: { mediaId }, atRobot: world.fileApp.robotCode },
        {},
        signal,
      );
    });
    await step("张三 → @文件机器人 图表 → a picture back (ctx.replyImage)", () =>
      say(ops, world.zhang.userId, "图表", world.fileApp.robotCode),
    );
  }
  // A work notification (工作通知) to 张三 from the answer bot's app, through dingbot's own app client:
  // token, then asyncsend_v2, as seed 004 does.
  await step("工作通知 (OA card) → 张三, through the app API", async () => {
    const client = new AppClient({
      appKey: world.answerApp.appKey,
      appSecret: world.answerApp.appSecret,
      agentId: world.answerApp.agentId,
      baseUrl: targets.emulatorUrl,
    });
    const { taskId } = await client.workNotifications.send(
      { userIds: [world.zhang.userId] },
      workMessages.oa({
        message_url: "https://example.com/oncall",
        head: { bgcolor: "FF3296FA", text: "值班提醒" },
        status_bar: { status_value: "待确认", status_bg: "FFF25643" },
        body: {
          title: "本周值班安排",
          form: [
            { key: "值班人：", value: "张三" },
            { key: "时间：", value: "周一 09:00 – 周日 21:00" },
          ],
          rich: { num: "3", unit: "条未恢复告警" },
          content: "请在今晚 18:00 前确认交接。",
          author: "运维平台",
        },
      }),
      signal ? { signal } : {},
    );
    return { ok: taskId > 0, detail: `task ${taskId}` };
  });
  // A message the emulator refuses, as DingTalk would (the robot's keyword is missing): the page's
  // rejection panel shows why. The step succeeds when the refusal is the expected one.
  await step("a robot message without its keyword → refused (310000), see the rejection panel", async () => {
    const result = await post(
      `${targets.emulatorUrl}/robot/send?access_token=${encodeURIComponent(world.githubRobot.accessToken)}`,
      { msgtype: "text", text: { content: "构建完成（忘了写关键词）" } },
      {},
      signal,
    );
    return { ok: result.detail.includes('"errcode":310000'), detail: result.detail };
  });
  if (relayUrl) {
    await step("Alertmanager: HighCPU resolved → relay /alertmanager", () =>
      post(`${relayUrl}/alertmanager`, alertmanagerResolved(new Date()), {}, signal),
    );
  }
  return steps;
}
