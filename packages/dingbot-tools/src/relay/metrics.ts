/**
 * The relay's Prometheus metrics, on prom-client: counters, histograms (send latency, time queued), gauges
 * sampled at scrape time (queue depth per robot, longest wait) and the default process metrics. Each relay
 * has its own Registry, so two relays in one process (tests, the demo) never mix or collide.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

type Labels = Record<string, string>;

/**
 * A counter that also answers `get()` synchronously: tests and the benchmark read single values while the
 * relay runs, and prom-client only reads values asynchronously.
 */
export class RelayCounter {
  private readonly values = new Map<string, number>();
  private readonly counter: Counter<string>;

  /**
   * @param registry - where the counter is exposed
   * @param name - metric name
   * @param help - one-line description
   * @param labelNames - the label names every `inc` uses
   */
  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    this.counter = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
  }

  /**
   * Adds to the series of `labels`.
   * @param labels - label values
   * @param by - amount (default 1)
   */
  inc(labels: Labels = {}, by = 1): void {
    this.counter.inc(labels, by);
    const key = keyOf(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  /**
   * The current value of the series of `labels` (0 when never incremented).
   * @param labels - label values
   */
  get(labels: Labels = {}): number {
    return this.values.get(keyOf(labels)) ?? 0;
  }
}

/**
 * A label set as a key independent of the order its labels were written in. A set of one label (most of the
 * relay's: every webhook accepted counts one per route and one per robot) skips the entries, the sort and the
 * JSON; label names never start with `[`, so its key cannot be another set's.
 */
function keyOf(labels: Labels): string {
  let only: string | undefined;
  for (const name in labels) {
    if (only !== undefined) {
      return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    only = name;
  }
  return only === undefined ? "[]" : `${only}=${labels[only]}`;
}

/** Every metric the relay exports, in one Registry of its own. */
export class RelayMetrics {
  /** This relay's registry (exposed for callers that want to add their own metrics). */
  readonly registry = new Registry();
  readonly received = new RelayCounter(
    this.registry,
    "dingbot_relay_received_total",
    "Webhook requests accepted, by route.",
    ["route"],
  );
  readonly alerts = new RelayCounter(
    this.registry,
    "dingbot_relay_alerts_total",
    "Alerts and events accepted into outboxes, by robot.",
    ["robot"],
  );
  readonly rejected = new RelayCounter(
    this.registry,
    "dingbot_relay_rejected_total",
    "Webhook requests refused, by route and status.",
    ["route", "status"],
  );
  readonly sent = new RelayCounter(
    this.registry,
    "dingbot_relay_sent_total",
    "Messages delivered to DingTalk, by robot and kind.",
    ["robot", "kind"],
  );
  readonly folded = new RelayCounter(
    this.registry,
    "dingbot_relay_folded_total",
    "Alerts delivered inside digest messages, by robot.",
    ["robot"],
  );
  readonly retried = new RelayCounter(
    this.registry,
    "dingbot_relay_retried_total",
    "Entries rescheduled after a transient failure.",
    ["robot"],
  );
  readonly rateLimited = new RelayCounter(
    this.registry,
    "dingbot_relay_rate_limited_total",
    "Rate-limit answers from DingTalk.",
    ["robot"],
  );
  readonly deadLettered = new RelayCounter(
    this.registry,
    "dingbot_relay_dead_lettered_total",
    "Entries moved to the dead-letter list.",
    ["robot"],
  );
  readonly sendSeconds = new Histogram({
    name: "dingbot_relay_send_duration_seconds",
    help: "Latency of one send to DingTalk.",
    labelNames: ["robot"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly waitSeconds = new Histogram({
    name: "dingbot_relay_queue_wait_seconds",
    help: "Time from acceptance to delivery.",
    labelNames: ["robot"],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  /** Longest wait of a delivered entry so far, in ms (the bench reads it). */
  maxWaitMs = 0;
  private readonly depth = new Gauge({
    name: "dingbot_relay_queue_depth",
    help: "Entries waiting in each robot's outbox.",
    labelNames: ["robot"],
    registers: [this.registry],
  });

  constructor() {
    // A gauge read at scrape time: maxWaitMs is a plain field the scheduler updates on every delivery.
    const metrics = this;
    new Gauge({
      name: "dingbot_relay_max_wait_seconds",
      help: "Longest time an entry waited before delivery.",
      registers: [this.registry],
      collect() {
        this.set(metrics.maxWaitMs / 1000);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The Content-Type of {@link render}'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Renders the exposition text.
   * @param depths - queue depth per robot, sampled now (-1 when the store did not answer)
   */
  render(depths: ReadonlyMap<string, number>): Promise<string> {
    for (const [robot, depth] of depths) this.depth.set({ robot }, depth);
    return this.registry.metrics();
  }
}
