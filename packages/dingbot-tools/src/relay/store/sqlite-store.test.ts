import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import { SqliteStore } from "./sqlite-store.js";
import { EntryRejectedError } from "./store.js";

const file = (): string => join(mkdtempSync(join(tmpdir(), "relay-sqlite-")), "relay.db");

describe("SqliteStore leases", () => {
  it("lets one relay per database file send for a robot", async () => {
    const path = file();
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    expect(await a.lease("ops", "a", 5000)).toBe(true);
    expect(await b.lease("ops", "b", 5000)).toBe(false);
    expect(await b.lease("oncall", "b", 5000)).toBe(true);
    expect(await a.lease("ops", "a", 5000)).toBe(true);
    await a.release("ops", "a");
    expect(await b.lease("ops", "b", 5000)).toBe(true);
    await a.close();
    await b.close();
  });

  it("takes over at once a lease whose process died (kill -9), and one that lapsed", async () => {
    const path = file();
    const store = new SqliteStore({ path });
    await store.lease("ops", "me", 5000);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    }).stdout;
    const db = new Database(path);
    db.prepare("UPDATE leases SET owner = 'gone', pid = ?, expires = ?").run(
      Number(dead),
      Date.now() + 60_000,
    );
    expect(await store.lease("ops", "me", 5000)).toBe(true);
    db.prepare("UPDATE leases SET owner = 'alive', pid = ?, expires = ?").run(process.pid, Date.now() - 1);
    expect(await store.lease("ops", "me", 5000)).toBe(true);
    db.prepare("UPDATE leases SET owner = 'alive', pid = ?, expires = ?").run(
      process.pid,
      Date.now() + 60_000,
    );
    expect(await store.lease("ops", "me", 5000)).toBe(false);
    db.close();
    await store.close();
  });
});

/** An outbox entry of robot "ops" with one firing alert named `name`. */
const entry = (name: string, context: Record<string, unknown> = {}) => ({
  robot: "ops",
  route: 0,
  createdAt: 1000,
  atMobiles: [],
  atUserIds: [],
  atAll: false,
  lines: [],
  alerts: [
    {
      name,
      severity: "critical",
      status: "firing" as const,
      labels: {},
      annotations: {},
      atMobiles: [],
      atUserIds: [],
    },
  ],
  context,
});

describe("SqliteStore outbox", () => {
  it("commits concurrent enqueues together and reads them back oldest first with their lines", async () => {
    const store = new SqliteStore({ path: file() });
    await Promise.all([store.enqueue([entry("A")]), store.enqueue([entry("B"), entry("C")])]);
    const ready = await store.ready("ops", 1000, 10);
    expect(ready.map((e) => e.lines[0]?.name)).toEqual(["A", "B", "C"]);
    await store.deadLetter([ready[0]?.id as string], "permanent: errcode 400013", 2000);
    expect(await store.depth("ops")).toBe(2);
    const [dead] = await store.listDead();
    expect(dead).toMatchObject({ reason: "permanent: errcode 400013", deadAt: 2000 });
    expect(await store.retryDead(dead?.id as string, 3000)).toBe(true);
    expect(await store.depth("ops")).toBe(3);
    await store.close();
    await expect(store.enqueue([entry("D")])).rejects.toThrow(/enqueue failed/);
  });
});

describe("SqliteStore batch isolation", () => {
  it("refuses only the entry that cannot be serialised and commits the rest of its batch", async () => {
    const store = new SqliteStore({ path: file() });
    // Deep enough that JSON.stringify overflows the stack (what a 6,000-deep body did before the cap).
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    const results = await Promise.allSettled([
      store.enqueue([entry("Good1")]),
      store.enqueue([entry("Bad", { deep })]),
      store.enqueue([entry("Good2")]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const failure = (results[1] as PromiseRejectedResult).reason;
    expect(failure).toBeInstanceOf(EntryRejectedError);
    const ready = await store.ready("ops", 1000, 10);
    expect(ready.map((e) => e.lines[0]?.name)).toEqual(["Good1", "Good2"]);
    await store.close();
  });
});

describe("SqliteStore reads", () => {
  it("reads the oldest due entries up to any limit (written into the SQL, or bound past a few limits)", async () => {
    const store = new SqliteStore({ path: file() });
    await store.enqueue(["A", "B", "C"].map((name) => entry(name)));
    const names = async (limit: number) =>
      (await store.ready("ops", 1000, limit)).map((e) => e.lines[0]?.name);
    for (let limit = 0; limit < 20; limit++) {
      expect(await names(limit)).toEqual(["A", "B", "C"].slice(0, limit));
    }
    expect(await store.ready("ops", 999, 10)).toEqual([]);
    await store.close();
  });

  it("stores a webhook's fan-out as one text and hands out one parsed message for its rows", async () => {
    const store = new SqliteStore({ path: file() });
    const message = entry("DiskFull", { cluster: "prod" });
    const stringify = vi.spyOn(JSON, "stringify");
    // One route's entries share their objects, one per robot: the text is made once for all of them.
    await store.enqueue([message, { ...message, robot: "oncall" }, { ...message, robot: "dba" }]);
    expect(stringify).toHaveBeenCalledTimes(1);
    stringify.mockRestore();
    const [ops] = await store.ready("ops", 1000, 10);
    const [oncall] = await store.ready("oncall", 1000, 10);
    expect(oncall?.robot).toBe("oncall");
    expect(oncall?.id).not.toBe(ops?.id);
    // Shared, so the relay renders the message once (render.ts keys on the alerts array).
    expect(oncall?.alerts).toBe(ops?.alerts);
    expect(oncall?.context).toEqual({ cluster: "prod" });
    await store.close();
  });
});
