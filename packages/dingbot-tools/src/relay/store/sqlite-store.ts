/**
 * The default store: one SQLite file in WAL mode. A webhook's entries are inserted in one transaction, which
 * has committed (and survives a killed process) before the relay answers 2xx.
 * synchronous=NORMAL survives process crashes; `synchronous: full` also survives power loss.
 * @module
 */
import Database from "better-sqlite3";
import { linesOf } from "../ingest.js";
import type { DeadLetter, DigestLine, NewOutboxEntry, OutboxEntry } from "../types.js";
import { GroupCommit } from "./group-commit.js";
import { ParsedMessages } from "./parsed-messages.js";
import { type RelayStore, StoreUnavailableError, serialiseEntries } from "./store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  robot TEXT NOT NULL,
  route INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (robot, next_at, id);
CREATE TABLE IF NOT EXISTS dead (
  id INTEGER PRIMARY KEY,
  robot TEXT NOT NULL,
  route INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  dead_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  robot TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sends_robot ON sends (robot, at);
CREATE TABLE IF NOT EXISTS blocks (robot TEXT PRIMARY KEY, until INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS leases (robot TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, expires INTEGER NOT NULL);
`;

interface Row {
  id: number;
  robot: string;
  route: number;
  created_at: number;
  next_at: number;
  attempts: number;
  message: string;
}

type StoredMessage = Omit<NewOutboxEntry, "robot" | "route" | "createdAt" | "lines">;

/** The stored part of an entry: small rows make inserts cheaper, so the digest lines are derived on read. */
function toMessage(entry: NewOutboxEntry): string {
  const { robot: _robot, route: _route, createdAt: _createdAt, lines: _lines, ...message } = entry;
  return JSON.stringify(message);
}

/**
 * `toMessage` for each of a webhook's entries. The entries of one route are one per robot and share their
 * alerts, variables and mentions (see buildEntries): their text is made once, not once per robot.
 */
function messagesOf(entries: readonly NewOutboxEntry[]): string[] {
  let previous: NewOutboxEntry | undefined;
  let text = "";
  return serialiseEntries(entries, (entry) => {
    if (!previous || !sameMessage(previous, entry)) {
      text = toMessage(entry);
      previous = entry;
    }
    return text;
  });
}

/** Whether two entries hold the very same message objects (so the same text). */
function sameMessage(a: NewOutboxEntry, b: NewOutboxEntry): boolean {
  return (
    a.alerts === b.alerts &&
    a.context === b.context &&
    a.atMobiles === b.atMobiles &&
    a.atUserIds === b.atUserIds &&
    a.atAll === b.atAll
  );
}

/** The `insert` statement's parameters: robot, route, created_at, next_at (due at once), message. */
function insertParams(entry: NewOutboxEntry, message: string): [string, number, number, number, string] {
  return [entry.robot, entry.route, entry.createdAt, entry.createdAt, message];
}

/** A stored message, parsed, with its digest lines. */
function parseMessage(text: string): StoredMessage & { lines: DigestLine[] } {
  const message = JSON.parse(text) as StoredMessage;
  return { ...message, lines: linesOf(message.alerts) };
}

/** An entry from its row and its parsed message (which rows of the same text share: read-only). */
function fromRow(row: Row, message: StoredMessage & { lines: DigestLine[] }): OutboxEntry {
  return {
    ...message,
    id: String(row.id),
    robot: row.robot,
    route: row.route,
    createdAt: row.created_at,
    nextAt: row.next_at,
    attempts: row.attempts,
  };
}

/** Whether a process of this machine is alive (EPERM: alive, but someone else's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  path: string;
  synchronous?: "normal" | "full";
}

/** SQLite implementation of {@link RelayStore}. */
export class SqliteStore implements RelayStore {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private readonly statements;
  /** One parsed value per distinct message text: a webhook fanned out to many robots is parsed once. */
  private readonly messages = new ParsedMessages(parseMessage);
  /** `ready` statements by their LIMIT (see readyRows). */
  private readonly readyByLimit = new Map<number, Database.Statement>();
  /** Every write goes through it: one commit per event-loop turn or two, not one per write. */
  private readonly writes: GroupCommit;

  /**
   * Opens (and creates) the database.
   * @throws StoreUnavailableError when the file cannot be opened
   */
  constructor(options: SqliteStoreOptions) {
    try {
      this.db = new Database(options.path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      this.db.pragma("busy_timeout = 5000");
      // Checkpoint every ~40 MB of WAL instead of every 4 MB: pages written many times in a storm (the
      // index, the table's last page) are copied back once per checkpoint, which halves the cost of an insert.
      this.db.pragma("wal_autocheckpoint = 10000");
      this.db.pragma("journal_size_limit = 67108864");
      this.db.exec(SCHEMA);
    } catch (error) {
      throw new StoreUnavailableError(
        `cannot open SQLite store ${options.path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const db = this.db;
    this.statements = {
      insert: db.prepare(
        "INSERT INTO outbox (robot, route, created_at, next_at, message) VALUES (?, ?, ?, ?, ?)",
      ),
      ready: db.prepare("SELECT * FROM outbox WHERE robot = ? AND next_at <= ? ORDER BY id LIMIT ?"),
      nextDue: db.prepare("SELECT MIN(next_at) AS due FROM outbox WHERE robot = ?"),
      depth: db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE robot = ?"),
      remove: db.prepare("DELETE FROM outbox WHERE id = ?"),
      reschedule: db.prepare("UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?"),
      toDead: db.prepare(
        "INSERT INTO dead (id, robot, route, created_at, attempts, dead_at, reason, message) SELECT id, robot, route, created_at, attempts, ?, ?, message FROM outbox WHERE id = ?",
      ),
      logSend: db.prepare("INSERT INTO sends (robot, at) VALUES (?, ?)"),
      updateSend: db.prepare("UPDATE sends SET at = ? WHERE id = ?"),
      sendsSince: db.prepare("SELECT at FROM sends WHERE robot = ? AND at > ? ORDER BY at"),
      pruneSends: db.prepare("DELETE FROM sends WHERE robot = ? AND at < ?"),
      blocked: db.prepare("SELECT until FROM blocks WHERE robot = ?"),
      block: db.prepare(
        "INSERT INTO blocks (robot, until) VALUES (?, ?) ON CONFLICT(robot) DO UPDATE SET until = excluded.until",
      ),
      listDead: db.prepare("SELECT * FROM dead ORDER BY id"),
      getDead: db.prepare("SELECT * FROM dead WHERE id = ?"),
      dropDead: db.prepare("DELETE FROM dead WHERE id = ?"),
      getLease: db.prepare("SELECT owner, pid, expires FROM leases WHERE robot = ?"),
      setLease: db.prepare(
        "INSERT INTO leases (robot, owner, pid, expires) VALUES (?, ?, ?, ?) ON CONFLICT(robot) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, expires = excluded.expires",
      ),
      dropLease: db.prepare("DELETE FROM leases WHERE robot = ? AND owner = ?"),
      revive: db.prepare(
        "INSERT INTO outbox (robot, route, created_at, next_at, attempts, message) VALUES (?, ?, ?, ?, 0, ?)",
      ),
    };
    this.writes = new GroupCommit(db);
  }

  private run<T>(what: string, work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(
        new StoreUnavailableError(`SQLite store: ${what} failed: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  }

  /**
   * Group commit: webhooks arriving in the same event-loop turn (or the next) share one transaction (with the
   * scheduler's writes of those turns), so a storm pays for one commit per batch instead of one per request. Each promise
   * resolves only after its batch committed. Entries are serialised here, before they join a batch: one
   * webhook that cannot be serialised is refused alone (EntryRejectedError) instead of failing the shared
   * transaction of every webhook in its batch.
   */
  enqueue(entries: readonly NewOutboxEntry[]): Promise<void> {
    let messages: string[];
    try {
      messages = messagesOf(entries);
    } catch (error) {
      return Promise.reject(error);
    }
    const [only] = entries;
    if (entries.length === 1 && only) {
      // One row (a webhook for one robot, the usual case): one statement, no savepoint (see writeStatement).
      return this.writes
        .writeStatement("enqueue", this.statements.insert, insertParams(only, messages[0] as string))
        .then(() => undefined);
    }
    return this.writes.write("enqueue", () => {
      entries.forEach((entry, i) => {
        this.statements.insert.run(...insertParams(entry, messages[i] as string));
      });
    });
  }

  ready(robot: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return this.run("read", () =>
      this.readyRows(robot, now, limit).map((row) => fromRow(row, this.messages.get(row.message))),
    );
  }

  /**
   * The `ready` query, with its LIMIT written into the SQL. Bound as a parameter, the LIMIT made every call
   * 3–4× slower (about 10 µs more, with or without rows; the other parameters cost nothing like it), and the
   * scheduler runs this query at every step: a fan-out to 500 robots spent more time here than anywhere else
   * in the store. The scheduler asks for a handful of limits (5000 plus the sends in flight), so one statement
   * is prepared per limit, up to a few; any other limit uses the bound form.
   */
  private readyRows(robot: string, now: number, limit: number): Row[] {
    let statement = this.readyByLimit.get(limit);
    if (!statement && Number.isSafeInteger(limit) && limit >= 0 && this.readyByLimit.size < 16) {
      statement = this.db.prepare(
        `SELECT * FROM outbox WHERE robot = ? AND next_at <= ? ORDER BY id LIMIT ${limit}`,
      );
      this.readyByLimit.set(limit, statement);
    }
    return (statement ? statement.all(robot, now) : this.statements.ready.all(robot, now, limit)) as Row[];
  }

  nextDueAt(robot: string): Promise<number | undefined> {
    return this.run(
      "read",
      () => (this.statements.nextDue.get(robot) as { due: number | null }).due ?? undefined,
    );
  }

  depth(robot: string): Promise<number> {
    return this.run("read", () => (this.statements.depth.get(robot) as { n: number }).n);
  }

  remove(ids: readonly string[]): Promise<void> {
    return this.writes.write("remove", () => {
      for (const id of ids) this.statements.remove.run(Number(id));
    });
  }

  reschedule(updates: readonly { id: string; nextAt: number }[]): Promise<void> {
    return this.writes.write("reschedule", () => {
      for (const update of updates) this.statements.reschedule.run(update.nextAt, Number(update.id));
    });
  }

  deadLetter(ids: readonly string[], reason: string, now: number): Promise<void> {
    return this.writes.write("dead-letter", () => {
      for (const id of ids) {
        this.statements.toDead.run(now, reason, Number(id));
        this.statements.remove.run(Number(id));
      }
    });
  }

  logSend(robot: string, at: number): Promise<string> {
    return this.writes.write("log send", () => {
      // Old entries only matter for one rate window; a day is far more than any window.
      this.statements.pruneSends.run(robot, at - 86_400_000);
      return String(this.statements.logSend.run(robot, at).lastInsertRowid);
    });
  }

  updateSend(_robot: string, handle: string, at: number): Promise<void> {
    return this.writes.write("log send", () => {
      this.statements.updateSend.run(at, Number(handle));
    });
  }

  sendsSince(robot: string, since: number): Promise<number[]> {
    return this.run("read", () =>
      (this.statements.sendsSince.all(robot, since) as { at: number }[]).map((r) => r.at),
    );
  }

  blockedUntil(robot: string): Promise<number> {
    return this.run(
      "read",
      () => (this.statements.blocked.get(robot) as { until: number } | undefined)?.until ?? 0,
    );
  }

  block(robot: string, until: number): Promise<void> {
    return this.writes.write("block", () => {
      this.statements.block.run(robot, until);
    });
  }

  /**
   * Two relays started on one database file by mistake would both send: the first keeps a lease per robot.
   * A lease whose process is gone (kill -9) is taken over at once, so a restart does not wait for it to lapse.
   */
  lease(robot: string, owner: string, ttlMs: number): Promise<boolean> {
    // Read and written in one batch, which holds the write lock from its start (BEGIN IMMEDIATE).
    return this.writes.write("lease", () => {
      const now = Date.now();
      const current = this.statements.getLease.get(robot) as
        | { owner: string; pid: number; expires: number }
        | undefined;
      const free = !current || current.owner === owner || current.expires < now || !processAlive(current.pid);
      if (free) this.statements.setLease.run(robot, owner, process.pid, now + ttlMs);
      return free;
    });
  }

  release(robot: string, owner: string): Promise<void> {
    return this.writes.write("lease", () => {
      this.statements.dropLease.run(robot, owner);
    });
  }

  listDead(): Promise<DeadLetter[]> {
    return this.run("read", () =>
      (this.statements.listDead.all() as (Row & { dead_at: number; reason: string })[]).map((row) => ({
        ...fromRow({ ...row, next_at: row.dead_at }, this.messages.get(row.message)),
        deadAt: row.dead_at,
        reason: row.reason,
      })),
    );
  }

  retryDead(id: string, now: number): Promise<boolean> {
    return this.writes.write("retry", () => {
      const row = this.statements.getDead.get(Number(id)) as Row | undefined;
      if (!row) return false;
      this.statements.revive.run(row.robot, row.route, row.created_at, now, row.message);
      this.statements.dropDead.run(Number(id));
      return true;
    });
  }

  dropDead(id: string): Promise<boolean> {
    return this.writes.write("drop", () => this.statements.dropDead.run(Number(id)).changes > 0);
  }

  healthy(): Promise<boolean> {
    try {
      this.db.prepare("SELECT 1").get();
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false);
    }
  }

  close(): Promise<void> {
    if (this.db.open) {
      // Writes still queued commit first: their callers are promised they will.
      this.writes.flush();
      this.db.close();
    }
    return Promise.resolve();
  }
}
