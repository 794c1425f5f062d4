import { describe, expect, it } from "vitest";
import type { ResolvedRoute } from "./config.js";
import type { CompiledRoute } from "./ingest.js";
import { createEntryRenderer } from "./render.js";
import type { OutboxEntry, RelayAlert } from "./types.js";

const alerts: RelayAlert[] = [
  {
    name: "DiskFull",
    severity: "critical",
    status: "firing",
    labels: {},
    annotations: {},
    atMobiles: [],
    atUserIds: [],
  },
];

/** One entry per robot, as the store hands out a fan-out: the same alerts and variables, own mentions. */
function entryFor(
  robot: string,
  shared: { alerts: RelayAlert[]; context: Record<string, unknown> },
): OutboxEntry {
  return {
    ...shared,
    id: robot,
    robot,
    route: 0,
    createdAt: 1,
    nextAt: 1,
    attempts: 0,
    lines: [{ name: "DiskFull", severity: "critical", status: "firing" }],
    atMobiles: [`138${robot}`],
    atUserIds: [],
    atAll: false,
  };
}

describe("createEntryRenderer()", () => {
  it("renders a fan-out's shared alerts once per route, and keeps each entry's own mentions", () => {
    let renders = 0;
    const route: CompiledRoute = {
      route: { language: "zh" } as ResolvedRoute,
      matches: () => true,
      renderer: {
        render(list, context) {
          renders += 1;
          return { title: `${list[0]?.name} ${String(context.cluster)}`, text: "…" };
        },
      },
    };
    const render = createEntryRenderer([route]);
    const shared = { alerts, context: { cluster: "prod" } };
    const first = render(entryFor("1", shared));
    const second = render(entryFor("2", shared));
    expect(renders).toBe(1);
    expect(first).toMatchObject({ title: "DiskFull prod", atMobiles: ["1381"] });
    expect(second).toMatchObject({ title: "DiskFull prod", atMobiles: ["1382"] });
    // The same alerts with other variables (another webhook) are rendered afresh.
    expect(render(entryFor("3", { alerts, context: { cluster: "staging" } })).title).toBe("DiskFull staging");
    expect(renders).toBe(2);
  });

  it("sends an entry whose route is gone as a one-entry digest", () => {
    const render = createEntryRenderer([]);
    const message = render(entryFor("1", { alerts, context: {} }));
    expect(message.text).toContain("DiskFull");
    expect(message.atMobiles).toEqual(["1381"]);
  });
});
