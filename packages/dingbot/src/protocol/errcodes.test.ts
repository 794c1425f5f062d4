import { describe, expect, it } from "vitest";
import { describeErrcode, ROBOT_ERRCODES } from "./errcodes.js";

describe("ROBOT_ERRCODES", () => {
  it("covers every errcode of protocol section 1.7 with a kind, a meaning and a hint", () => {
    const documented = [
      -1, 310000, 300001, 300005, 40035, 43002, 43004, 130101, 410100, 660026, 400013, 400101, 400102, 400105,
      400106, 430101, 430102, 430103, 430104, 90030,
    ];
    for (const errcode of documented) {
      const info = ROBOT_ERRCODES.get(errcode);
      expect(info, `errcode ${errcode}`).toBeDefined();
      expect(info?.meaning.length).toBeGreaterThan(5);
      expect(info?.hint.length).toBeGreaterThan(5);
    }
  });

  it("classifies as the protocol's client guidance says", () => {
    for (const errcode of [130101, 410100, 660026])
      expect(ROBOT_ERRCODES.get(errcode)?.kind).toBe("rate-limit");
    for (const errcode of [300001, 300005, 400101, 400102, 400106, 400013]) {
      expect(ROBOT_ERRCODES.get(errcode)?.kind).toBe("permanent");
    }
    expect(ROBOT_ERRCODES.get(310000)?.kind).toBe("config");
    expect(ROBOT_ERRCODES.get(-1)?.kind).toBe("transient");
    expect(ROBOT_ERRCODES.get(400105)?.kind).toBe("content");
  });
});

describe("describeErrcode()", () => {
  it("returns the table row for a known code", () => {
    expect(describeErrcode(410100)).toBe(ROBOT_ERRCODES.get(410100));
  });

  it.each(["send too fast", "发送速度太快而限流", "Too Many messages"])(
    "treats an unknown code whose errmsg says %j as a rate limit",
    (errmsg) => {
      expect(describeErrcode(123456, errmsg).kind).toBe("rate-limit");
    },
  );

  it("treats an unknown code as a content refusal that keeps its number", () => {
    const info = describeErrcode(123456, "something new");
    expect(info.kind).toBe("content");
    expect(info.errcode).toBe(123456);
  });
});
