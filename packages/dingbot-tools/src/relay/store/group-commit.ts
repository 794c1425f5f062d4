/**
 * Group commit for the SQLite store: writes asked for in the same event-loop turn, or the turn after it,
 * share one transaction, and each one's promise settles only after that transaction committed. A fan-out to
 * 500 robots makes about four writes per delivery (send logged, send corrected, entry removed, lease); one
 * commit each made the store the relay's largest cost (bench/RESULTS.md, issue 15.4). Durability is
 * unchanged: nothing is reported written before it is on disk (WAL; fsync as `synchronous` says).
 * @module
 */
import type Database from "better-sqlite3";
import { StoreUnavailableError } from "./store.js";

interface PendingWrite {
  /** Names the write in its error (`enqueue`, `remove`, …). */
  what: string;
  work: () => unknown;
  /** The work is one statement's run: SQLite undoes a failed statement itself, so no savepoint is needed. */
  single: boolean;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Batches the writes of one database connection. */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private readonly batch: Database.Transaction<(writes: PendingWrite[]) => Outcome[]>;

  constructor(db: Database.Database) {
    // Each write runs in its own savepoint (a nested transaction): one that throws is rolled back alone and
    // only its caller hears of it, the others of its batch still commit.
    const alone = db.transaction((work: () => unknown) => work());
    this.batch = db.transaction((writes: PendingWrite[]) =>
      writes.map((write): Outcome => {
        try {
          return { ok: true, value: write.single ? write.work() : alone(write.work) };
        } catch (error) {
          // Some errors (I/O, disk full) make SQLite roll the whole transaction back: the writes before this
          // one are gone too, so the batch fails as a whole rather than go on outside any transaction.
          if (!db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    );
  }

  /**
   * Runs `work` in the next batch; resolves with its result once the batch committed.
   * @param what - names the write in a {@link StoreUnavailableError}
   * @param work - synchronous statements; it sees the writes queued before it
   */
  write<T>(what: string, work: () => T): Promise<T> {
    return this.queue(what, work, false);
  }

  /**
   * {@link write} for one statement's run, which needs no savepoint of its own: SQLite rolls a failed
   * statement back by itself and leaves the transaction open, so the batch's other writes still commit.
   * The savepoint's SAVEPOINT and RELEASE were two statements more per webhook at ingest (issue 15).
   * @param what - names the write in a {@link StoreUnavailableError}
   * @param statement - the prepared statement
   * @param params - its parameters
   */
  writeStatement(
    what: string,
    statement: Database.Statement,
    params: readonly unknown[],
  ): Promise<Database.RunResult> {
    return this.queue(what, () => statement.run(...params), true);
  }

  private queue<T>(what: string, work: () => T, single: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ what, work, single, resolve: resolve as (value: never) => void, reject });
      // The commit waits one turn more than it must: the requests read in the next poll phase join it. Under
      // load a commit then carries about twice the webhooks (its BEGIN, COMMIT and the table's last pages
      // are paid once for them all: ~10 % of the relay's CPU per webhook at ingest, issue 15); idle, the
      // next turn follows at once, as nothing else waits.
      if (this.pending.length === 1) setImmediate(() => setImmediate(() => this.flush()));
    });
  }

  /** Commits what is queued now (the store calls it before closing). */
  flush(): void {
    const writes = this.pending;
    if (writes.length === 0) return;
    this.pending = [];
    let outcomes: Outcome[];
    try {
      // IMMEDIATE takes the write lock up front: another process (`dingbot relay dlq`) cannot make this
      // batch fail half-way by holding a read lock it wants to upgrade.
      outcomes = this.batch.immediate(writes);
    } catch (error) {
      // The commit itself failed (disk full, I/O error, closed database): nothing of the batch is stored.
      for (const write of writes) write.reject(unavailable(write.what, error));
      return;
    }
    writes.forEach((write, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) write.resolve(outcome.value as never);
      else write.reject(unavailable(write.what, outcome.error));
    });
  }
}

function unavailable(what: string, error: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`SQLite store: ${what} failed: ${(error as Error).message}`, {
    cause: error,
  });
}
