import { describe, expect, it } from "vitest";
import { FaultRegistry } from "./faults.js";

describe("FaultRegistry.hasRobotFaults", () => {
  it("tells whether a fault for robot requests is pending, without taking it", () => {
    const faults = new FaultRegistry(() => 0);
    expect(faults.hasRobotFaults()).toBe(false);
    faults.add({ kind: "card-qps", count: 1 });
    expect(faults.hasRobotFaults()).toBe(false);
    faults.add({ kind: "errcode", count: 1, errcode: -1, accessToken: "t" });
    expect(faults.hasRobotFaults()).toBe(true);
    expect(faults.hasRobotFaults()).toBe(true);
    expect(faults.take("t")?.kind).toBe("errcode");
    expect(faults.hasRobotFaults()).toBe(false);
    expect(faults.take("t")).toBeUndefined();
  });
});
