import { describe, expect, it } from "vitest";
import { RelayMetrics } from "./metrics.js";

describe("RelayCounter", () => {
  it("keeps one value per label set, whatever the order its labels were written in", async () => {
    const metrics = new RelayMetrics();
    metrics.sent.inc({ robot: "ops", kind: "single" });
    metrics.sent.inc({ kind: "single", robot: "ops" }, 2);
    metrics.sent.inc({ robot: "ops", kind: "digest" });
    expect(metrics.sent.get({ kind: "single", robot: "ops" })).toBe(3);
    expect(metrics.sent.get({ robot: "ops", kind: "digest" })).toBe(1);
    expect(metrics.sent.get({ robot: "dev", kind: "single" })).toBe(0);
    // One label (the fast key) and values that look like another key.
    metrics.received.inc({ route: "/a" });
    metrics.received.inc({ route: "/a=b" }, 5);
    expect(metrics.received.get({ route: "/a" })).toBe(1);
    expect(metrics.received.get({ route: "/a=b" })).toBe(5);
    expect(metrics.received.get({})).toBe(0);
    // The exposition has the same values.
    const text = await metrics.render(new Map());
    expect(text).toContain('dingbot_relay_sent_total{robot="ops",kind="single"} 3');
    expect(text).toContain('dingbot_relay_received_total{route="/a=b"} 5');
  });
});
