import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";
import { SqliteStore } from "./sqlite-store.js";
import { StoreUnavailableError } from "./store.js";

const file = (): string => join(mkdtempSync(join(tmpdir(), "relay-group-commit-")), "relay.db");

/** Frames in the WAL file (a commit appends one per page it changed; the store checkpoints at 10,000). */
function walFrames(path: string): number {
  const bytes = statSync(`${path}-wal`).size;
  return Math.max(0, (bytes - 32) / (24 + 4096));
}

describe("GroupCommit", () => {
  it("commits the writes of one event-loop turn together, and refuses a failing write alone", async () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE t (v TEXT)");
    const writes = new GroupCommit(db);
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const results = await Promise.allSettled([
      writes.write("first", () => insert.run("a").changes),
      writes.write("second", () => {
        insert.run("b");
        throw new Error("disk says no");
      }),
      writes.write("third", () => insert.run("c").changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const failure = (results[1] as PromiseRejectedResult).reason as Error;
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure.message).toBe("SQLite store: second failed: disk says no");
    // The failing write's own insert was rolled back with it.
    expect(db.prepare("SELECT v FROM t ORDER BY rowid").pluck().all()).toEqual(["a", "c"]);
    db.close();
  });

  it("lets the writes of the next turn join the batch: the first settles only after the later one ran", async () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE t (v TEXT)");
    const writes = new GroupCommit(db);
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const log: string[] = [];
    const first = writes.write("first", () => log.push("first ran")).then(() => log.push("first settled"));
    // Asked for in the next turn (as a request read in the next poll phase is).
    const second = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      writes
        .write("second", () => insert.run("b") && log.push("second ran"))
        .then(() => log.push("second settled")),
    );
    await Promise.all([first, second]);
    expect(log).toEqual(["first ran", "second ran", "first settled", "second settled"]);
    db.close();
  });

  it("runs a single statement without a savepoint: a failing one is undone alone by SQLite, the batch commits", async () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE t (v TEXT CHECK (v <> 'bad'))");
    const writes = new GroupCommit(db);
    // One statement that inserts several rows and fails on the second: its first row must not stay.
    const insertAll = db.prepare("INSERT INTO t (v) SELECT value FROM json_each(?)");
    const results = await Promise.allSettled([
      writes.writeStatement("first", insertAll, ['["a"]']),
      writes.writeStatement("second", insertAll, ['["b","bad"]']),
      writes.write("third", () => insertAll.run('["c"]').changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[0] as PromiseFulfilledResult<{ changes: number }>).value.changes).toBe(1);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toMatch(
      /^SQLite store: second failed: CHECK constraint failed/,
    );
    expect(db.prepare("SELECT v FROM t ORDER BY rowid").pluck().all()).toEqual(["a", "c"]);
    db.close();
  });

  it("makes a fan-out's writes one commit: 50 sends logged at once add a few WAL frames, not 50 commits' worth", async () => {
    const path = file();
    const store = new SqliteStore({ path });
    const before = walFrames(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.logSend(`robot-${i}`, 1000 + i)));
    expect(walFrames(path) - before).toBeLessThan(10);
    expect(await store.sendsSince("robot-7", 0)).toEqual([1007]);
    await store.close();
  });
});
