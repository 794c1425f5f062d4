/**
 * Redis store: several relay instances share one queue per robot and one send log per robot. A short
 * per-robot lease makes exactly one instance the sender of a robot at a time (another takes over when its
 * lease lapses), so N instances together stay within the robot's limit and send each entry once.
 * Keys: `P:seq`, `P:e:<id>` (hash), `P:q:<robot>` (zset by due time), `P:sends:<robot>` (zset by time),
 * `P:block:<robot>`, `P:lease:<robot>`, `P:dead` (zset by time).
 * Durability is Redis's own: run it with `appendonly yes` for the relay's 2xx to survive a Redis restart.
 * @module
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { DeadLetter, NewOutboxEntry, OutboxEntry } from "../types.js";
import { type RelayStore, StoreUnavailableError, serialiseEntries } from "./store.js";

const LEASE = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if current then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Options of {@link RedisStore.connect}. */
export interface RedisStoreOptions {
  url: string;
  prefix: string;
}

/** Redis implementation of {@link RelayStore}. */
export class RedisStore implements RelayStore {
  readonly kind = "redis";

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * Connects, failing fast when Redis does not answer.
   * @throws StoreUnavailableError
   */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const redis = new Redis(options.url, {
      lazyConnect: true,
      // Fail commands at once while disconnected: the HTTP app must answer 503 now, not hang.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    redis.on("error", () => {
      // Connection errors surface as failed commands (→ 503); the client reconnects by itself.
    });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new StoreUnavailableError(`cannot connect to Redis: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new RedisStore(redis, options.prefix);
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(":");
  }

  private robotOf(id: string): string {
    return id.slice(0, id.lastIndexOf("/"));
  }

  private async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StoreUnavailableError(`Redis store: ${what} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async enqueue(entries: readonly NewOutboxEntry[]): Promise<void> {
    // Serialised first, outside run(): an entry that cannot be serialised is this webhook's fault (400),
    // not Redis being unavailable (503).
    const data = serialiseEntries(entries, (entry) => JSON.stringify(entry));
    return this.run("enqueue", async () => {
      if (entries.length === 0) return;
      const last = await this.redis.incrby(this.key("seq"), entries.length);
      const multi = this.redis.multi();
      entries.forEach((entry, i) => {
        const id = `${entry.robot}/${last - entries.length + 1 + i}`;
        multi.hset(this.key("e", id), { data: data[i], attempts: 0 });
        multi.zadd(this.key("q", entry.robot), entry.createdAt, id);
      });
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error("transaction aborted");
    });
  }

  private async load(ids: readonly string[]): Promise<OutboxEntry[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key("e", id));
    const results = (await pipeline.exec()) ?? [];
    const entries: OutboxEntry[] = [];
    ids.forEach((id, i) => {
      const hash = results[i]?.[1] as Record<string, string> | undefined;
      if (!hash?.data) return;
      const entry = JSON.parse(hash.data) as NewOutboxEntry;
      entries.push({
        ...entry,
        id,
        attempts: Number(hash.attempts ?? 0),
        nextAt: Number(hash.nextAt ?? entry.createdAt),
      });
    });
    const seq = (id: string): number => Number(id.slice(id.lastIndexOf("/") + 1));
    return entries.sort((a, b) => seq(a.id) - seq(b.id));
  }

  ready(robot: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return this.run("read", async () =>
      this.load(await this.redis.zrangebyscore(this.key("q", robot), "-inf", now, "LIMIT", 0, limit)),
    );
  }

  nextDueAt(robot: string): Promise<number | undefined> {
    return this.run("read", async () => {
      const first = await this.redis.zrange(this.key("q", robot), "0", "0", "WITHSCORES");
      return first[1] === undefined ? undefined : Number(first[1]);
    });
  }

  depth(robot: string): Promise<number> {
    return this.run("read", () => this.redis.zcard(this.key("q", robot)));
  }

  remove(ids: readonly string[]): Promise<void> {
    return this.run("remove", async () => {
      const multi = this.redis.multi();
      for (const id of ids) {
        multi.zrem(this.key("q", this.robotOf(id)), id);
        multi.del(this.key("e", id));
      }
      await multi.exec();
    });
  }

  reschedule(updates: readonly { id: string; nextAt: number }[]): Promise<void> {
    return this.run("reschedule", async () => {
      const multi = this.redis.multi();
      for (const { id, nextAt } of updates) {
        multi.hincrby(this.key("e", id), "attempts", 1);
        multi.hset(this.key("e", id), { nextAt });
        multi.zadd(this.key("q", this.robotOf(id)), nextAt, id);
      }
      await multi.exec();
    });
  }

  deadLetter(ids: readonly string[], reason: string, now: number): Promise<void> {
    return this.run("dead-letter", async () => {
      const multi = this.redis.multi();
      for (const id of ids) {
        multi.zrem(this.key("q", this.robotOf(id)), id);
        multi.hset(this.key("e", id), { deadAt: now, reason });
        multi.zadd(this.key("dead"), now, id);
      }
      await multi.exec();
    });
  }

  logSend(robot: string, at: number): Promise<string> {
    return this.run("log send", async () => {
      const handle = randomUUID();
      await this.redis
        .multi()
        .zremrangebyscore(this.key("sends", robot), "-inf", at - 86_400_000)
        .zadd(this.key("sends", robot), at, handle)
        .exec();
      return handle;
    });
  }

  updateSend(robot: string, handle: string, at: number): Promise<void> {
    return this.run("log send", async () => {
      await this.redis.zadd(this.key("sends", robot), "XX", at, handle);
    });
  }

  sendsSince(robot: string, since: number): Promise<number[]> {
    return this.run("read", async () => {
      const flat = await this.redis.zrangebyscore(
        this.key("sends", robot),
        `(${since}`,
        "+inf",
        "WITHSCORES",
      );
      const times: number[] = [];
      for (let i = 1; i < flat.length; i += 2) times.push(Number(flat[i]));
      return times;
    });
  }

  blockedUntil(robot: string): Promise<number> {
    return this.run("read", async () => Number((await this.redis.get(this.key("block", robot))) ?? 0));
  }

  block(robot: string, until: number): Promise<void> {
    return this.run("block", async () => {
      await this.redis.set(this.key("block", robot), String(until));
    });
  }

  lease(robot: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.run(
      "lease",
      async () => (await this.redis.eval(LEASE, 1, this.key("lease", robot), owner, String(ttlMs))) === 1,
    );
  }

  release(robot: string, owner: string): Promise<void> {
    return this.run("lease", async () => {
      await this.redis.eval(RELEASE, 1, this.key("lease", robot), owner);
    });
  }

  listDead(): Promise<DeadLetter[]> {
    return this.run("read", async () => {
      const ids = await this.redis.zrange(this.key("dead"), "0", "-1");
      const entries = await this.load(ids);
      const pipeline = this.redis.pipeline();
      for (const entry of entries) pipeline.hmget(this.key("e", entry.id), "deadAt", "reason");
      const extra = (await pipeline.exec()) ?? [];
      return entries.map((entry, i) => {
        const [deadAt, reason] = (extra[i]?.[1] as (string | null)[] | undefined) ?? [];
        return { ...entry, deadAt: Number(deadAt ?? 0), reason: reason ?? "" };
      });
    });
  }

  retryDead(id: string, now: number): Promise<boolean> {
    return this.run("retry", async () => {
      const removed = await this.redis.zrem(this.key("dead"), id);
      if (removed === 0) return false;
      await this.redis
        .multi()
        .hset(this.key("e", id), { attempts: 0, nextAt: now })
        .hdel(this.key("e", id), "deadAt", "reason")
        .zadd(this.key("q", this.robotOf(id)), now, id)
        .exec();
      return true;
    });
  }

  dropDead(id: string): Promise<boolean> {
    return this.run("drop", async () => {
      const removed = await this.redis.zrem(this.key("dead"), id);
      if (removed > 0) await this.redis.del(this.key("e", id));
      return removed > 0;
    });
  }

  async healthy(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
