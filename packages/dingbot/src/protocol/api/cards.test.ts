import { describe, expect, it } from "vitest";
import { check } from "../validate.js";
import {
  CARD_ENDPOINT_NAMES,
  CARD_ENDPOINTS,
  CreateAndDeliverCardRequestSchema,
  groupOpenSpaceId,
  parseCardCallback,
  robotOpenSpaceId,
  StreamingUpdateRequestSchema,
} from "./cards.js";
import { ENDPOINTS } from "./endpoints.js";

const callback = {
  corpId: "ding-corp",
  userId: "staff1",
  outTrackId: "track-1",
  type: "actionCallback",
  spaceType: "IM_GROUP",
  spaceId: "cid==",
  userIdType: 1,
  content: JSON.stringify({ cardPrivateData: { actionIds: ["approve"], params: { reason: "ok", n: 2 } } }),
  extension: "{}",
};

describe("card endpoints", () => {
  it("has the six card_1_0 calls with DingTalk's methods and paths, apart from the emulator's table", () => {
    expect(CARD_ENDPOINT_NAMES.map((n) => `${CARD_ENDPOINTS[n].method} ${CARD_ENDPOINTS[n].path}`)).toEqual([
      "POST /v1.0/card/instances",
      "POST /v1.0/card/instances/deliver",
      "POST /v1.0/card/instances/createAndDeliver",
      "PUT /v1.0/card/instances",
      "PUT /v1.0/card/streaming",
      "POST /v1.0/card/callbacks/register",
    ]);
    for (const name of CARD_ENDPOINT_NAMES) expect(Object.keys(ENDPOINTS)).not.toContain(name);
  });

  it("builds open space ids for groups and 1:1 chats", () => {
    expect(groupOpenSpaceId("cidX==")).toBe("dtv1.card//IM_GROUP.cidX==");
    expect(robotOpenSpaceId("staff1")).toBe("dtv1.card//IM_ROBOT.staff1");
  });

  it("insists on string card data and a dtv1.card open space id", () => {
    const base = {
      cardTemplateId: "t",
      outTrackId: "o",
      openSpaceId: "dtv1.card//IM_GROUP.c",
      cardData: { cardParamMap: { a: "1" } },
    };
    expect(check(CreateAndDeliverCardRequestSchema, base).ok).toBe(true);
    expect(
      check(CreateAndDeliverCardRequestSchema, { ...base, cardData: { cardParamMap: { a: 1 } } }).ok,
    ).toBe(false);
    expect(check(CreateAndDeliverCardRequestSchema, { ...base, openSpaceId: "IM_GROUP.c" }).ok).toBe(false);
    expect(
      check(StreamingUpdateRequestSchema, {
        outTrackId: "o",
        guid: "g",
        key: "msgContent",
        content: "",
        isFull: true,
        isFinalize: false,
        isError: false,
      }).ok,
    ).toBe(true);
  });
});

describe("parseCardCallback()", () => {
  it("parses the callback and its JSON-string content, from an object or from JSON text", () => {
    for (const body of [callback, JSON.stringify(callback)]) {
      const parsed = parseCardCallback(body);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.value).toMatchObject({
        outTrackId: "track-1",
        userId: "staff1",
        spaceType: "IM_GROUP",
        spaceId: "cid==",
        actionIds: ["approve"],
        params: { reason: "ok", n: 2 },
      });
    }
  });

  it("treats an empty content as no actions", () => {
    const parsed = parseCardCallback({ ...callback, content: "" });
    expect(parsed.ok && parsed.value.actionIds).toEqual([]);
  });

  it("reports a malformed body or content as issues, never by throwing", () => {
    const cases: unknown[] = [
      "{not json",
      null,
      42,
      { ...callback, content: "{oops" },
      { ...callback, content: JSON.stringify({ cardPrivateData: { actionIds: "approve" } }) },
      { ...callback, outTrackId: undefined },
    ];
    for (const body of cases) {
      const parsed = parseCardCallback(body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.issues.length).toBeGreaterThan(0);
    }
    const content = parseCardCallback({ ...callback, content: "{oops" });
    expect(!content.ok && content.issues[0]?.path).toBe("content");
  });
});
