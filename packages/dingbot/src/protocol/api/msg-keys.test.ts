import { describe, expect, expectTypeOf, it } from "vitest";
import { check } from "../validate.js";
import { isMsgKey, MSG_KEYS, MSG_PARAM_SCHEMAS, type MsgParam, robotMessage } from "./msg-keys.js";

describe("msgKey catalogue", () => {
  it("lists the 13 templates of protocol section 4.3 and no sampleActionCard1", () => {
    expect(MSG_KEYS).toHaveLength(13);
    expect(isMsgKey("sampleActionCard1")).toBe(false);
    expect(isMsgKey("sampleActionCard5")).toBe(true);
  });

  it("serialises msgParam as the JSON string DingTalk wants", () => {
    const message = robotMessage("sampleMarkdown", { title: "hello title", text: "hello text" });
    expect(message).toEqual({
      msgKey: "sampleMarkdown",
      msgParam: '{"title":"hello title","text":"hello text"}',
    });
  });

  it("types each msgParam at compile time", () => {
    expectTypeOf<MsgParam<"sampleText">>().toEqualTypeOf<{ content: string }>();
    expectTypeOf<MsgParam<"sampleActionCard2">>().toHaveProperty("actionURL2");
    // @ts-expect-error sampleMarkdown needs a title
    robotMessage("sampleMarkdown", { text: "x" });
    expect(true).toBe(true);
  });

  it("requires every numbered button of the vertical cards", () => {
    const card3 = {
      title: "t",
      text: "x",
      actionTitle1: "a",
      actionURL1: "u",
      actionTitle2: "b",
      actionURL2: "u",
    };
    expect(check(MSG_PARAM_SCHEMAS.sampleActionCard3, card3).ok).toBe(false);
    expect(
      check(MSG_PARAM_SCHEMAS.sampleActionCard3, { ...card3, actionTitle3: "c", actionURL3: "u" }).ok,
    ).toBe(true);
  });
});
