import { describe, expect, it } from "vitest";
import { check } from "../validate.js";
import { messages, RobotMessageBodySchema } from "./messages.js";

// The bodies of protocol section 1.3, verbatim: every one must pass.
const documented = [
  {
    msgtype: "text",
    text: { content: "构建完成 @13800000000" },
    at: { atMobiles: ["13800000000"], atUserIds: ["user123"], isAtAll: false },
  },
  {
    msgtype: "link",
    link: {
      title: "发布公告",
      text: "v2.1 已发布",
      messageUrl: "https://example.com/r",
      picUrl: "https://example.com/p.png",
    },
  },
  {
    msgtype: "markdown",
    markdown: { title: "告警", text: "### 服务异常\n> **状态**: down\n@13800000000" },
    at: { atMobiles: ["13800000000"], isAtAll: false },
  },
  {
    msgtype: "actionCard",
    actionCard: {
      title: "评审",
      text: "## 评审邀请",
      singleTitle: "查看",
      singleURL: "https://example.com",
      btnOrientation: "0",
      hideAvatar: "0",
    },
  },
  {
    msgtype: "actionCard",
    actionCard: {
      title: "审批",
      text: "## 报销申请",
      btnOrientation: "1",
      btns: [
        { title: "同意", actionURL: "https://example.com/a" },
        { title: "拒绝", actionURL: "https://example.com/r" },
      ],
    },
  },
  {
    msgtype: "feedCard",
    feedCard: { links: [{ title: "文档1", messageURL: "https://e.com/1", picURL: "https://e.com/1.png" }] },
  },
];

describe("RobotMessageBodySchema", () => {
  it.each(documented)("accepts the documented $msgtype body", (body) => {
    const result = check(RobotMessageBodySchema, body);
    expect(result.ok).toBe(true);
  });

  it("accepts DingtalkChatbot's integer btnOrientation", () => {
    const body = {
      msgtype: "actionCard",
      actionCard: { title: "t", text: "x", btns: [{ title: "a", actionURL: "u" }], btnOrientation: 1 },
    };
    expect(check(RobotMessageBodySchema, body).ok).toBe(true);
  });

  it.each([
    [{ msgtype: "image", image: { picURL: "x" } }, "msgtype"],
    [{ msgtype: "text", text: { content: "" } }, "text.content"],
    [{ msgtype: "text" }, "text"],
    [{ msgtype: "link", link: { title: "t", text: "x" } }, "link.messageUrl"],
    [{ msgtype: "markdown", markdown: { text: "x" } }, "markdown.title"],
    [{ msgtype: "actionCard", actionCard: { title: "t", text: "x" } }, "actionCard"],
    [{ msgtype: "actionCard", actionCard: { title: "t", text: "x", singleTitle: "go" } }, "actionCard"],
    [{ msgtype: "feedCard", feedCard: { links: [] } }, "feedCard.links"],
    [{ msgtype: "text", text: { content: "x" }, at: { isAtAll: "yes" } }, "at.isAtAll"],
  ])("refuses %j and names %s", (body, path) => {
    const result = check(RobotMessageBodySchema, body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path).join(" ")).toContain(path);
  });
});

describe("messages builders", () => {
  it("build schema-valid bodies", () => {
    const built = [
      messages.text("hi"),
      messages.markdown("t", "**x**"),
      messages.link({ title: "t", text: "x", messageUrl: "https://e.com" }),
      messages.actionCard({ title: "t", text: "x", singleTitle: "go", singleURL: "https://e.com" }),
      messages.buttonsCard({ title: "t", text: "x", buttons: [{ title: "a", actionURL: "https://e.com" }] }),
      messages.feedCard([{ title: "t", messageURL: "https://e.com", picURL: "" }]),
    ];
    for (const body of built) expect(check(RobotMessageBodySchema, body).ok).toBe(true);
  });

  it("appends the @tokens DingTalk needs for mentions, once", () => {
    const body = messages.text("deploy done @13800000000", {
      at: { atMobiles: ["13800000000", "13900000000"] },
    });
    expect(body.text.content).toBe("deploy done @13800000000\n@13900000000");
    expect(body.at?.atMobiles).toEqual(["13800000000", "13900000000"]);
  });

  it("lays buttons out vertically unless horizontal", () => {
    const buttons = [{ title: "a", actionURL: "https://e.com" }];
    expect(messages.buttonsCard({ title: "t", text: "x", buttons }).actionCard.btnOrientation).toBe("0");
    expect(
      messages.buttonsCard({ title: "t", text: "x", buttons, horizontal: true }).actionCard.btnOrientation,
    ).toBe("1");
  });
});
