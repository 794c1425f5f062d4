/**
 * One robot's outbox scheduler. It never sends more than the robot's limit in any rate window, counting
 * sends in the store's persistent log (so the limit holds across restarts and, with Redis, across
 * instances); folds the backlog into digests when single messages would not keep up; and acts on
 * DingTalk's answer: wait out the window, retry with backoff, or dead-letter with the reason.
 * @module
 */
import { type Logger, messages, RequestError, type RobotMessageBody } from "dingbot-sdk";
import { classifyFailure } from "./classify.js";
import type { ResolvedLimits, ResolvedRobot } from "./config.js";
import { foldDigest } from "./digest.js";
import type { RelayMetrics } from "./metrics.js";
import type { SendSlots } from "./send-slots.js";
import type { Sender } from "./sender.js";
import type { RelayStore } from "./store/store.js";
import type { OutboxEntry, RenderedMessage } from "./types.js";

/** Entries read per scheduling step: enough to fold a storm into one digest. */
const FETCH_LIMIT = 5000;
/**
 * Sends in flight per robot. Slots of a rate window free up as fast as the previous window's answers came
 * in; one send at a time would fall behind whenever DingTalk answers slower than that.
 */
const MAX_IN_FLIGHT = 4;

/** What a scheduler needs. */
export interface SchedulerDeps {
  store: RelayStore;
  sender: Sender;
  metrics: RelayMetrics;
  logger: Logger;
  limits: ResolvedLimits;
  language: "zh" | "en";
  now: () => number;
  random: () => number;
  /** Identity of this relay process (Redis leases). */
  owner: string;
  /** How often an idle scheduler looks at the store (Redis: other instances enqueue). */
  pollMs: number;
  /** Lease lifetime (Redis): another instance takes over this long after this one dies. */
  leaseMs: number;
  /** Renders an entry sent on its own with its route's template (mentions included). */
  render: (entry: OutboxEntry) => RenderedMessage;
  /** Sends in flight across all robots of this process: one is taken before a send is logged. */
  slots: SendSlots;
}

/** Computes how long to wait before a send is allowed, from the send log (ascending times). */
export function slotWaitMs(
  sends: readonly number[],
  now: number,
  rules: readonly { windowMs: number; limit: number }[],
): number {
  let wait = 0;
  for (const rule of rules) {
    const inside = sends.filter((at) => at > now - rule.windowMs);
    if (inside.length >= rule.limit) {
      const oldestThatMustLeave = inside[inside.length - rule.limit] as number;
      wait = Math.max(wait, oldestThatMustLeave + rule.windowMs - now + 1);
    }
  }
  return wait;
}

/** Free slots right now under every rule. */
function freeSlots(
  sends: readonly number[],
  now: number,
  rules: readonly { windowMs: number; limit: number }[],
): number {
  return Math.min(...rules.map((rule) => rule.limit - sends.filter((at) => at > now - rule.windowMs).length));
}

/** The scheduler of one robot. */
export class RobotScheduler {
  private stopped = true;
  private wakeUp: (() => void) | undefined;
  /** Set by wake(): new entries may have arrived since the last step read the store. */
  private woken = false;
  /** The loop sleeps until a rate slot frees: new entries change nothing before then. */
  private waitingForSlot = false;
  /** Ids of entries being sent, so the next step does not send them again. */
  private readonly inFlight = new Set<string>();
  /** Sends being made. */
  private readonly flights = new Set<Promise<void>>();
  /** Until when this process holds the robot's lease (its own clock). */
  private leaseUntil = 0;
  private running: Promise<void> | undefined;
  private readonly rules: { windowMs: number; limit: number }[];
  /** Safety margin so a send never lands inside DingTalk's window a hair early. */
  private readonly marginMs: number;

  constructor(
    readonly robot: ResolvedRobot,
    private readonly deps: SchedulerDeps,
  ) {
    // Sends are logged when DingTalk has answered, which is never earlier than when it counted them, so the
    // margin only absorbs clock granularity and drift.
    this.marginMs = Math.min(100, Math.max(2, Math.ceil(robot.rateWindowMs / 1000)));
    const windowMs = robot.rateWindowMs + this.marginMs;
    this.rules = [{ windowMs, limit: robot.rateLimit }];
    // A wait bound B shorter than the window spreads the sends: at most L - m of them in any W - m·B ms
    // (m = 1, 2, …). Sends then burst while they can and space out by at most B, so under a backlog a
    // slot always frees up within B (see docs/relay.md).
    const bound = deps.limits.maxWaitMs;
    for (let m = 1; m < robot.rateLimit && bound < robot.rateWindowMs; m++) {
      const span = robot.rateWindowMs - m * bound;
      if (span <= 0) break;
      this.rules.push({ windowMs: span + this.marginMs, limit: robot.rateLimit - m });
    }
  }

  /** Starts the loop. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /**
   * Tells an idle loop that new entries arrived (ignored while it waits for a rate slot).
   * @param force - also interrupt a wait for a slot (a send finished and corrected the send log)
   */
  wake(force = false): void {
    if (this.waitingForSlot && !this.stopped && !force) return;
    this.woken = true;
    this.wakeUp?.();
  }

  /** Resolves when the sends in flight have finished (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.flights]);
  }

  /** Stops after the sends in flight, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    await this.settled();
    await this.deps.store.release(this.robot.name, this.deps.owner).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, Math.min(ms, 2_147_483_647)));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let waitMs: number;
      this.woken = false;
      this.waitingForSlot = false;
      try {
        waitMs = await this.step();
      } catch (error) {
        this.deps.logger.error(
          { robot: this.robot.name, err: error instanceof Error ? error.message : String(error) },
          "scheduler step failed; retrying",
        );
        waitMs = 1000;
      }
      if (waitMs > 0) await this.sleep(waitMs);
    }
  }

  /**
   * Makes one scheduling decision and acts on it.
   * @returns how long to wait before the next decision (0: go on at once)
   */
  async step(): Promise<number> {
    const { store, now, pollMs } = this.deps;
    const robot = this.robot.name;
    // In-process enqueues wake the loop at once; polling still picks up what other processes wrote (Redis
    // instances, `dingbot relay dlq retry`).
    const idleMs = store.kind === "sqlite" ? Math.max(pollMs, 1000) : pollMs;
    const start = now();
    if (!(await this.keepLease(start))) return pollMs;
    // The cheapest question first (one index lookup): an empty outbox, as at every idle poll and at the step
    // after a fan-out's answer, needs nothing else read. Entries in flight are due, so they never hide here.
    const due = await store.nextDueAt(robot);
    if (due === undefined) return idleMs;
    if (due > start) return Math.min(due - start, idleMs);
    const blocked = await store.blockedUntil(robot);
    if (blocked > start) {
      this.waitingForSlot = true;
      return Math.min(blocked - start, idleMs);
    }
    if (this.flights.size >= MAX_IN_FLIGHT) return idleMs;
    // The slot comes first: during a storm most steps find the window full, and reading the send log is far
    // cheaper than reading thousands of queued entries.
    const longest = Math.max(...this.rules.map((rule) => rule.windowMs));
    const sends = await store.sendsSince(robot, start - longest);
    const wait = slotWaitMs(sends, start, this.rules);
    if (wait > 0) {
      this.waitingForSlot = true;
      return Math.min(wait, idleMs);
    }
    const limit = FETCH_LIMIT + this.inFlight.size;
    const fetched = await store.ready(robot, start, limit);
    const ready = fetched.filter((entry) => !this.inFlight.has(entry.id));
    if (ready.length === 0 && this.inFlight.size > 0) return idleMs;
    if (ready.length === 0) {
      // Removed since (`dingbot relay dlq`, another instance): look again.
      const next = await store.nextDueAt(robot);
      return next === undefined ? idleMs : Math.min(Math.max(next - start, 1), idleMs);
    }
    // Single messages while they fit in the free slots; otherwise the whole backlog becomes a digest.
    let launched: readonly OutboxEntry[];
    let went: boolean;
    if (ready.length <= freeSlots(sends, start, this.rules)) {
      const entry = ready[0] as OutboxEntry;
      launched = [entry];
      went = await this.launch(launched, this.deps.render(entry), "single");
    } else {
      const digest = foldDigest(ready, this.deps.language);
      const single = digest.entries.length === 1 ? digest.entries[0] : undefined;
      launched = digest.entries;
      went = await this.launch(
        digest.entries,
        single ? this.deps.render(single) : digest.message,
        single ? "single" : "digest",
      );
    }
    // The lease lapsed while the send waited for a slot: decide again from what the store holds now.
    if (!went) return 0;
    // Everything due is in flight now: the next step would read it all again only to find it in flight and
    // wait (a third of a fan-out's store reads). Wait here instead; a webhook or an answer wakes the loop.
    if (launched.length === ready.length && fetched.length < limit) return idleMs;
    return 0;
  }

  /**
   * Renews the robot's lease once it is past half its life. Only this process renews its own lease, so it
   * stays ours until it lapses: renewing at every step would cost a write per step (a storm makes many).
   * @param now - the scheduler's clock
   * @returns false when another owner holds it
   */
  private async keepLease(now: number): Promise<boolean> {
    const { store, leaseMs, owner } = this.deps;
    if (now <= this.leaseUntil - leaseMs / 2) return true;
    if (!(await store.lease(this.robot.name, owner, leaseMs))) return false;
    this.leaseUntil = now + leaseMs;
    return true;
  }

  private body(message: RenderedMessage): RobotMessageBody {
    const at = {
      ...(message.atMobiles.length ? { atMobiles: message.atMobiles } : {}),
      ...(message.atUserIds.length ? { atUserIds: message.atUserIds } : {}),
      ...(message.atAll ? { isAtAll: true } : {}),
    };
    return messages.markdown(message.title, message.text, Object.keys(at).length ? { at } : {});
  }

  /**
   * Waits for a send slot of the process, makes sure the robot's lease held all along, logs the send (before
   * the next step counts slots), then sends without waiting for the answer.
   * @returns false, having sent nothing, when the lease lapsed during the wait or could not be renewed
   */
  private async launch(
    entries: readonly OutboxEntry[],
    message: RenderedMessage,
    kind: "single" | "digest",
  ): Promise<boolean> {
    const { slots } = this.deps;
    // The slot comes before the log: the logged time must bound when the request can reach DingTalk, so the
    // request may not wait for a slot after it.
    await slots.acquire();
    const startedAt = this.deps.now();
    // The wait for a slot can outlast the lease (64 slow sends of other robots). Once it lapsed, another
    // instance may have taken the robot and sent these entries: this decision is stale. While it holds, no
    // one else can have sent for this robot, so renewing it keeps the decision good (time only frees slots).
    let held: boolean;
    try {
      held = startedAt < this.leaseUntil && (await this.keepLease(startedAt));
    } catch (error) {
      slots.release();
      throw error;
    }
    if (!held) {
      slots.release();
      return false;
    }
    let handle: string;
    try {
      // Logged at the latest moment the request could reach DingTalk, so a crash mid-send still counts it.
      handle = await this.deps.store.logSend(this.robot.name, startedAt + this.deps.limits.requestTimeoutMs);
    } catch (error) {
      slots.release();
      throw error;
    }
    for (const entry of entries) this.inFlight.add(entry.id);
    const flight: Promise<void> = this.deliver(handle, startedAt, entries, message, kind)
      .catch((error: unknown) => {
        this.deps.logger.error(
          { robot: this.robot.name, err: error instanceof Error ? error.message : String(error) },
          "recording a send failed; the entries stay queued",
        );
      })
      .finally(() => {
        slots.release();
        for (const entry of entries) this.inFlight.delete(entry.id);
        this.flights.delete(flight);
        this.wake(true);
      });
    this.flights.add(flight);
    return true;
  }

  private async deliver(
    handle: string,
    startedAt: number,
    entries: readonly OutboxEntry[],
    message: RenderedMessage,
    kind: "single" | "digest",
  ): Promise<void> {
    const { store, sender, metrics, now, logger, limits } = this.deps;
    const robot = this.robot.name;
    let failure: unknown;
    try {
      await sender.send(robot, this.body(message));
    } catch (error) {
      failure = error;
    }
    const doneAt = now();
    // A request that timed out or lost its connection may still reach DingTalk later: count it one timeout
    // later than now, so the window cannot be overrun by a late arrival.
    const unknownOutcome = failure instanceof RequestError;
    const sentAt = unknownOutcome ? doneAt + limits.requestTimeoutMs : doneAt;
    const ids = entries.map((entry) => entry.id);
    const alerts = entries.reduce((n, entry) => n + entry.lines.length, 0);
    if (failure === undefined) {
      // Asked together, so the store can make them one commit (SQLite's group commit does): the send's time
      // and the delivered entries are then recorded at once, never one without the other.
      await Promise.all([store.updateSend(robot, handle, sentAt), store.remove(ids)]);
      metrics.sendSeconds.observe({ robot }, (doneAt - startedAt) / 1000);
      metrics.sent.inc({ robot, kind });
      if (kind === "digest") metrics.folded.inc({ robot }, alerts);
      for (const entry of entries) {
        const waited = doneAt - entry.createdAt;
        metrics.waitSeconds.observe({ robot }, waited / 1000);
        metrics.maxWaitMs = Math.max(metrics.maxWaitMs, waited);
      }
      logger.debug({ robot, kind, entries: entries.length, alerts }, "delivered");
      return;
    }
    await store.updateSend(robot, handle, sentAt);
    metrics.sendSeconds.observe({ robot }, (doneAt - startedAt) / 1000);
    await this.handleFailure(failure, entries, doneAt);
  }

  private async handleFailure(failure: unknown, entries: readonly OutboxEntry[], at: number): Promise<void> {
    const { store, metrics, logger, limits, random } = this.deps;
    const robot = this.robot.name;
    const verdict = classifyFailure(failure);
    const ids = entries.map((entry) => entry.id);
    if (verdict.action === "wait-window") {
      metrics.rateLimited.inc({ robot });
      logger.warn(
        { robot, reason: verdict.reason },
        "DingTalk throttled the robot; waiting out the rate window",
      );
      await store.block(robot, at + this.robot.rateWindowMs + this.marginMs);
      return;
    }
    if (verdict.action === "dead-letter") {
      metrics.deadLettered.inc({ robot }, entries.length);
      logger.error(
        { robot, reason: verdict.reason, entries: ids },
        "DingTalk refused for good; dead-lettered",
      );
      await store.deadLetter(ids, verdict.reason, at);
      return;
    }
    const exhausted = entries.filter((entry) => entry.attempts + 1 >= limits.maxAttempts);
    const again = entries.filter((entry) => entry.attempts + 1 < limits.maxAttempts);
    if (exhausted.length > 0) {
      const reason = `gave up after ${limits.maxAttempts} attempts: ${verdict.reason}`;
      metrics.deadLettered.inc({ robot }, exhausted.length);
      logger.error(
        { robot, reason, entries: exhausted.map((e) => e.id) },
        "retries exhausted; dead-lettered",
      );
      await store.deadLetter(
        exhausted.map((entry) => entry.id),
        reason,
        at,
      );
    }
    if (again.length > 0) {
      metrics.retried.inc({ robot }, again.length);
      logger.warn(
        { robot, reason: verdict.reason, entries: again.length },
        "send failed; retrying with backoff",
      );
      await store.reschedule(
        again.map((entry) => {
          const cap = Math.min(limits.retryMaxMs, limits.retryBaseMs * 2 ** entry.attempts);
          // Full jitter, never below half the step, so retries of a storm do not arrive together.
          return { id: entry.id, nextAt: at + Math.round(cap * (0.5 + random() / 2)) };
        }),
      );
    }
  }
}
