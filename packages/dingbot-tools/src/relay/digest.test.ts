import { describe, expect, it } from "vitest";
import { foldDigest, MAX_DIGEST_GROUPS, parseDigestCounts } from "./digest.js";
import type { OutboxEntry } from "./types.js";

function entry(id: number, lines: OutboxEntry["lines"], atMobiles: string[] = []): OutboxEntry {
  return {
    id: String(id),
    robot: "ops",
    route: 0,
    createdAt: id,
    nextAt: id,
    attempts: 0,
    alerts: [],
    context: {},
    atMobiles,
    atUserIds: [],
    atAll: false,
    lines,
  };
}

describe("foldDigest()", () => {
  it("counts by name, severity and status, most severe firing first, links kept, mentions merged", () => {
    const entries = [
      entry(1, [{ name: "Disk", severity: "warning", status: "firing", url: "https://p/disk1" }]),
      entry(2, [{ name: "Down", severity: "critical", status: "firing", url: "https://p/down" }], ["138"]),
      entry(
        3,
        [
          { name: "Disk", severity: "warning", status: "firing", url: "https://p/disk2" },
          { name: "Down", severity: "critical", status: "resolved" },
        ],
        ["139", "138"],
      ),
      entry(4, [{ name: "Disk", severity: "warning", status: "firing", url: "https://p/disk1" }]),
    ];
    const digest = foldDigest(entries, "zh");
    expect(digest.entries).toHaveLength(4);
    expect(digest.alerts).toBe(5);
    const lines = digest.message.text.split("\n").filter((l) => l.startsWith("- "));
    expect(lines).toEqual([
      "- 🔴 **Down** · 严重 · 告警 ×1 · [详情](https://p/down)",
      "- 🟡 **Disk** · 警告 · 告警 ×3 · [详情](https://p/disk1) [2](https://p/disk2)",
      "- ✅ **Down** · 严重 · 恢复 ×1",
    ]);
    expect(digest.message.title).toContain("告警汇总 5 条（告警 4，恢复 1）");
    expect(digest.message.atMobiles).toEqual(["138", "139"]);
    expect(parseDigestCounts(digest.message.text)).toEqual(
      new Map([
        ["Down", 2],
        ["Disk", 3],
      ]),
    );
  });

  it("leaves entries of groups beyond the limit queued, but always takes the oldest", () => {
    const entries = Array.from({ length: MAX_DIGEST_GROUPS + 10 }, (_, i) =>
      entry(i, [{ name: `Alert${i}`, severity: "info", status: "firing" }]),
    );
    const digest = foldDigest(entries, "en");
    expect(digest.entries).toHaveLength(MAX_DIGEST_GROUPS);
    expect(digest.entries[0]?.id).toBe("0");
    expect(digest.message.title).toContain(`Digest of ${MAX_DIGEST_GROUPS} alerts`);
    const huge = foldDigest(
      [
        entry(
          1,
          Array.from({ length: 2000 }, (_, i) => ({
            name: `N${i}`,
            severity: "info",
            status: "firing" as const,
          })),
        ),
      ],
      "en",
    );
    expect(huge.entries).toHaveLength(1);
    expect(Buffer.byteLength(huge.message.text)).toBeLessThan(16_000);
    expect(huge.message.text).toMatch(/- … \d+ more alerts in \d+ groups$/);
  });
});
