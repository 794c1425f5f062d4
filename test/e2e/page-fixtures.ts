/**
 * Sample data for the chat page's browser tests: one group with a message of every type DingTalk renders,
 * written straight into an emulator's store, plus the Chromium launcher the page tests share.
 */
import { existsSync } from "node:fs";
import type { AppRecord, EmulatorStore } from "dingbot-tools/emulator";
import type { Browser, Page } from "playwright-core";

/** Debian's Chromium, as .ci/run installs it. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless Chromium that never talks to the network on its own. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Whether the browser tests can run here. Without Chromium they are skipped with a message, except in CI,
 * where a missing browser is a failure (the suite must not pass by skipping).
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package`);
  process.stderr.write(`skipping the browser tests: ${CHROMIUM} not found (apt-get install chromium)\n`);
  return false;
}

/** Launches headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens a page that records console errors and page errors, and answers every request that is not for the
 * emulator with a local picture, so no test ever reaches the network (message images point at example.com).
 */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1280, height: 860 },
): Promise<{ page: Page; errors: string[] }> {
  // China's time zone, as DingTalk users (and the relay's default timezone) have it.
  const context = await browser.newContext({ viewport, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.route(
    (url) => !url.href.startsWith(baseUrl),
    (route) =>
      route.fulfill({
        status: 200,
        contentType: "image/svg+xml",
        body: '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#8ab4f8"/></svg>',
      }),
  );
  return { page, errors };
}

/** Opens the chat page at one conversation and waits until the page says it is ready. */
export async function openConversation(
  browser: Browser,
  baseUrl: string,
  conversationId: string,
  viewport?: { width: number; height: number },
): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, baseUrl, viewport);
  await opened.page.goto(`${baseUrl}/#c=${encodeURIComponent(conversationId)}`);
  await opened.page.waitForSelector("body[data-ready=true]");
  return opened;
}

/** A group of 张三 (zhangsan) and 李四 (lisi) with one Stream-mode app robot, for the page tests with a bot. */
export function createBotGroup(
  store: EmulatorStore,
  appName: string,
  title: string,
): { app: AppRecord; groupId: string } {
  store.createUser({ userId: "zhangsan", name: "张三" });
  store.createUser({ userId: "lisi", name: "李四" });
  const app = store.createApp({ name: appName, mode: "stream" });
  const groupId = store.createConversation({
    type: "group",
    title,
    members: ["zhangsan", "lisi"],
    robots: [app.robotCode],
  }).conversationId;
  return { app, groupId };
}

/** What {@link fillSampleGroup} created. */
export interface SampleWorld {
  groupId: string;
  singleId: string;
  robotCode: string;
}

/** A group "运维告警群" with people, an app robot, a custom robot and one message of every rendered type. */
export function fillSampleGroup(store: EmulatorStore): SampleWorld {
  const zhang = store.createUser({ userId: "zhangsan", name: "张三", mobile: "13800000001" });
  const li = store.createUser({ userId: "lisi", name: "李四", mobile: "13800000002" });
  const app = store.createApp({ name: "问答机器人", appKey: "dingdemoanswer", mode: "http" });
  const group = store.createConversation({
    type: "group",
    title: "运维告警群",
    members: [zhang.userId, li.userId],
    robots: [app.robotCode],
  });
  const robot = store.createRobot({
    name: "告警机器人",
    conversationId: group.conversationId,
    keywords: ["告警"],
  });
  const bot = { kind: "robot" as const, id: "robot-alerts", name: robot.name };
  const appSender = { kind: "app" as const, id: app.robotCode, name: app.name };
  const groupId = group.conversationId;
  const webhook = (body: Record<string, unknown>): void => {
    store.recordMessage({
      conversationId: groupId,
      sender: bot,
      via: "webhook",
      body,
      accessToken: robot.accessToken,
    });
  };
  webhook({
    msgtype: "text",
    text: { content: "告警：磁盘使用率 91% @13800000001" },
    at: { atMobiles: ["13800000001"], isAtAll: false },
  });
  webhook({
    msgtype: "markdown",
    markdown: {
      title: "告警 CPU 过高",
      text:
        "### 🔥 告警 CPU 过高\n> **状态**: firing\n\n- 实例: *web-01*\n- 值: 97%\n\n" +
        "[打开 Grafana](https://grafana.example.com/d/1)\n\n<script>alert(1)</script><b>raw</b>\n\n@13800000002",
    },
    at: { atMobiles: ["13800000002"] },
  });
  webhook({
    msgtype: "link",
    link: {
      title: "v2.1 发布公告",
      text: "dingbot v2.1 已发布，支持 Stream 模式。",
      messageUrl: "https://example.com/release",
      picUrl: "https://example.com/p.png",
    },
  });
  webhook({
    msgtype: "actionCard",
    actionCard: {
      title: "评审邀请",
      text: "## 评审邀请\n请评审 PR #42",
      singleTitle: "查看详情",
      singleURL: "https://example.com/pr/42",
    },
  });
  webhook({
    msgtype: "actionCard",
    actionCard: {
      title: "报销审批",
      text: "## 报销申请\n金额 **¥300**",
      btnOrientation: "1",
      btns: [
        { title: "同意", actionURL: "https://example.com/a" },
        { title: "拒绝", actionURL: "https://example.com/r" },
      ],
    },
  });
  webhook({
    msgtype: "actionCard",
    actionCard: {
      title: "值班确认",
      text: "今晚谁值班？",
      btnOrientation: "0",
      btns: [
        { title: "我来", actionURL: "https://example.com/me" },
        { title: "换人", actionURL: "javascript:alert(1)" },
      ],
    },
  });
  webhook({
    msgtype: "feedCard",
    feedCard: {
      links: [
        {
          title: "周报：本周告警 12 条",
          messageURL: "https://example.com/1",
          picURL: "https://example.com/1.png",
        },
        { title: "SLO 月度回顾", messageURL: "https://example.com/2", picURL: "https://example.com/2.png" },
      ],
    },
  });
  store.recordMessage({
    conversationId: groupId,
    sender: { kind: "user", id: zhang.userId, name: zhang.name },
    via: "user",
    body: { msgtype: "text", text: { content: " markdown" } },
    meta: { atRobot: app.robotCode },
  });
  store.recordMessage({
    conversationId: groupId,
    sender: appSender,
    via: "inline-reply",
    body: {
      msgtype: "markdown",
      markdown: { title: "回复", text: "#### 你好 张三\n这是一条 **markdown** 回复" },
    },
  });
  const single = store.singleConversation(li.userId, app.robotCode, app.name);
  store.recordMessage({
    conversationId: single.conversationId,
    sender: appSender,
    via: "work-notification",
    readBy: {},
    body: {
      msgtype: "oa",
      oa: {
        message_url: "https://example.com/oa",
        head: { bgcolor: "FFBBBBBB", text: "审批" },
        status_bar: { status_value: "进行中", status_bg: "FF9A9A9A" },
        body: {
          title: "请假申请",
          form: [
            { key: "姓名：", value: "李四" },
            { key: "天数：", value: "2" },
          ],
          rich: { num: "15.6", unit: "元" },
          content: "家中有事",
          author: "李四",
        },
      },
    },
  });
  store.recordMessage({
    conversationId: single.conversationId,
    sender: appSender,
    via: "work-notification",
    body: {
      msgtype: "action_card",
      action_card: {
        title: "发布审批",
        markdown: "### 发布审批\nv2.1 待审批",
        btn_orientation: "1",
        btn_json_list: [
          { title: "批准", action_url: "https://example.com/approve" },
          { title: "驳回", action_url: "https://example.com/reject" },
        ],
      },
    },
  });
  store.recordMessage({
    conversationId: single.conversationId,
    sender: appSender,
    via: "work-notification",
    body: {
      msgtype: "link",
      link: {
        title: "月度账单",
        text: "11 月账单已生成",
        messageUrl: "https://example.com/bill",
        picUrl: "@lADOmedia",
      },
    },
  });
  store.recordMessage({
    conversationId: single.conversationId,
    sender: appSender,
    via: "openapi",
    body: {
      msgtype: "sampleImageMsg",
      msgKey: "sampleImageMsg",
      msgParam: { photoURL: "https://example.com/photo.png" },
    },
  });
  store.recordMessage({
    conversationId: single.conversationId,
    sender: appSender,
    via: "openapi",
    body: {
      msgKey: "sampleActionCard6",
      msgParam: JSON.stringify({
        title: "上线确认",
        text: "是否上线？",
        buttonTitle1: "上线",
        buttonUrl1: "https://example.com/go",
        buttonTitle2: "取消",
        buttonUrl2: "https://example.com/no",
      }),
    },
  });
  store.recordRejection({
    endpoint: "POST /robot/send",
    subject: robot.name,
    errcode: 310000,
    errmsg: "keywords not in content",
    reason: "keyword",
  });
  return { groupId, singleId: single.conversationId, robotCode: app.robotCode };
}
