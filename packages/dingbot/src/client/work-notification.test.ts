import { describe, expect, it } from "vitest";
import { SendResultResponseSchema, WorkMsgSchema } from "../protocol/api/work-notification.js";
import { messages } from "../protocol/outbound/messages.js";
import { check } from "../protocol/validate.js";
import { toRobotTemplate } from "./robot-api.js";
import { buildReport, toWorkMsg } from "./work-notification.js";

const empty = {
  invalid_user_id_list: [],
  forbidden_user_id_list: [],
  failed_user_id_list: [],
  read_user_id_list: [],
  unread_user_id_list: [],
  invalid_dept_id_list: [],
  forbidden_list: [],
};

describe("toWorkMsg()", () => {
  it("converts every robot message body into a valid work-notification msg", () => {
    const bodies = [
      messages.text("t"),
      messages.markdown("m", "**m**"),
      messages.link({ title: "l", text: "l", messageUrl: "https://x" }),
      messages.actionCard({ title: "a", text: "a", singleTitle: "go", singleURL: "https://x" }),
      messages.buttonsCard({
        title: "b",
        text: "b",
        buttons: [{ title: "1", actionURL: "https://1" }],
        horizontal: true,
      }),
      messages.feedCard([{ title: "f", messageURL: "https://f", picURL: "" }]),
    ];
    for (const body of bodies) expect(check(WorkMsgSchema, toWorkMsg(body)).ok).toBe(true);
    expect(toWorkMsg(bodies[4]!)).toMatchObject({
      action_card: { btn_orientation: "1", btn_json_list: [{ title: "1", action_url: "https://1" }] },
    });
  });
});

describe("toRobotTemplate()", () => {
  it("chooses the template by button count and orientation, and refuses 6 buttons", () => {
    const buttons = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ title: `b${i}`, actionURL: `https://${i}` }));
    expect(toRobotTemplate(messages.buttonsCard({ title: "t", text: "x", buttons: buttons(1) })).msgKey).toBe(
      "sampleActionCard",
    );
    expect(
      toRobotTemplate(messages.buttonsCard({ title: "t", text: "x", buttons: buttons(2), horizontal: true }))
        .msgKey,
    ).toBe("sampleActionCard6");
    expect(toRobotTemplate(messages.buttonsCard({ title: "t", text: "x", buttons: buttons(4) })).msgKey).toBe(
      "sampleActionCard4",
    );
    expect(() =>
      toRobotTemplate(messages.buttonsCard({ title: "t", text: "x", buttons: buttons(6) })),
    ).toThrow(/at most 5/);
  });
});

describe("buildReport()", () => {
  it("gives each recipient one outcome, with the forbidden reason", () => {
    const report = buildReport(1, true, ["a", "b", "c", "d"], {
      ...empty,
      invalid_user_id_list: ["a"],
      forbidden_user_id_list: ["b"],
      forbidden_list: [{ code: "143105", count: 1, userid: "b" }],
      read_user_id_list: ["c"],
      unread_user_id_list: ["d"],
    });
    expect(report.recipients).toEqual([
      { userId: "a", outcome: "invalid" },
      {
        userId: "b",
        outcome: "forbidden",
        reason: { code: "143105", meaning: expect.stringContaining("daily quota") },
      },
      { userId: "c", outcome: "read" },
      { userId: "d", outcome: "unread" },
    ]);
    expect(report.allDelivered).toBe(false);
  });

  it("counts a finished task where everyone got it as all delivered, and an unfinished one as not", () => {
    expect(buildReport(1, true, ["c"], { ...empty, unread_user_id_list: ["c"] }).allDelivered).toBe(true);
    expect(buildReport(1, false, ["c"], empty)).toMatchObject({
      allDelivered: false,
      recipients: [{ userId: "c", outcome: "pending" }],
    });
  });

  it("reports invalid department ids as numbers, as DingTalk sends them (TopSdk: List<Long>)", () => {
    const answer = { errcode: 0, errmsg: "ok", send_result: { ...empty, invalid_dept_id_list: [42, "43"] } };
    const parsed = check(SendResultResponseSchema, answer);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const report = buildReport(1, true, [], parsed.value.send_result);
    expect(report.invalidDeptIds).toEqual([42, 43]);
    expect(report.allDelivered).toBe(false);
    expect(
      check(SendResultResponseSchema, { ...answer, send_result: { invalid_dept_id_list: ["x"] } }).ok,
    ).toBe(false);
  });
});
