/**
 * The outbox store contract. SQLite (one process, the default) and Redis (several processes sharing one
 * queue and one per-robot limit) implement it; the scheduler and the HTTP app only see this interface.
 * @module
 */
import type { DeadLetter, NewOutboxEntry, OutboxEntry } from "../types.js";

/** Raised when the store cannot accept or read: the HTTP app answers 503 so senders retry. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * Raised by `enqueue` when a webhook's own entries cannot be stored (e.g. they cannot be serialised): the
 * HTTP app answers 400 to that webhook alone, and the other webhooks of the same batch are committed.
 */
export class EntryRejectedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EntryRejectedError";
  }
}

/**
 * Serialises each of a webhook's entries before any shared write, so one that cannot be serialised fails
 * alone instead of failing the batch it would have joined.
 * @param entries - a webhook's entries
 * @param serialise - the store's own serialisation
 * @throws EntryRejectedError naming why
 */
export function serialiseEntries<T>(
  entries: readonly NewOutboxEntry[],
  serialise: (entry: NewOutboxEntry) => T,
): T[] {
  try {
    return entries.map(serialise);
  } catch (error) {
    // RangeError (too deep for the stack), TypeError (a cycle, a BigInt): the entry's fault, not the store's.
    throw new EntryRejectedError(`the webhook cannot be stored: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Durable state of the relay. Every write has committed when its promise resolves. */
export interface RelayStore {
  /** `sqlite` or `redis`. */
  readonly kind: string;
  /**
   * Commits entries atomically (all or none).
   * @throws EntryRejectedError when these entries themselves cannot be stored; StoreUnavailableError else
   */
  enqueue(entries: readonly NewOutboxEntry[]): Promise<void>;
  /** Entries of a robot due at `now`, oldest first. */
  ready(robot: string, now: number, limit: number): Promise<OutboxEntry[]>;
  /** When the robot's next entry becomes due (undefined when its outbox is empty). */
  nextDueAt(robot: string): Promise<number | undefined>;
  /** Entries queued for a robot. */
  depth(robot: string): Promise<number>;
  /** Removes delivered entries. */
  remove(ids: readonly string[]): Promise<void>;
  /** Records a failed attempt: attempts + 1 and a new due time. */
  reschedule(updates: readonly { id: string; nextAt: number }[]): Promise<void>;
  /** Moves entries to the dead-letter list with a reason. */
  deadLetter(ids: readonly string[], reason: string, now: number): Promise<void>;
  /**
   * Logs one send to a robot at `at` (may be in the future: the latest moment it could reach DingTalk).
   * Returns a handle to correct the time once the answer is in.
   */
  logSend(robot: string, at: number): Promise<string>;
  /** Corrects a logged send's time. */
  updateSend(robot: string, handle: string, at: number): Promise<void>;
  /** Times of sends to a robot after `since`, ascending (includes future-dated ones). */
  sendsSince(robot: string, since: number): Promise<number[]>;
  /** Until when the robot is blocked after DingTalk throttled it (0 when not). */
  blockedUntil(robot: string): Promise<number>;
  /** Blocks a robot until a time (DingTalk throttled it). */
  block(robot: string, until: number): Promise<void>;
  /**
   * Tries to become (or stay) the one sender of a robot for `ttlMs`. SQLite has one process: always true.
   * Redis: a lease, so two instances never send to one robot at once.
   */
  lease(robot: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up (on stop). */
  release(robot: string, owner: string): Promise<void>;
  /** Dead letters, oldest first. */
  listDead(): Promise<DeadLetter[]>;
  /** Moves a dead letter back into its robot's outbox; false when unknown. */
  retryDead(id: string, now: number): Promise<boolean>;
  /** Deletes a dead letter; false when unknown. */
  dropDead(id: string): Promise<boolean>;
  /** Whether the store answers. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
