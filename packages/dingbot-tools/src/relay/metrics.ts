/**
 * Prometheus metrics in the text exposition format, without a dependency: counters, one gauge sampled at
 * scrape time (queue depth per robot) and histograms (send latency, time queued).
 * @module
 */

type Labels = Record<string, string>;

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (labels: Labels): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const current = this.values.get(key);
    if (current) current.value += by;
    else this.values.set(key, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values())
      lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join("\n");
  }
}

class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    this.buckets.forEach((bound, i) => {
      if (value <= bound) series.counts[i] = (series.counts[i] ?? 0) + 1;
    });
    series.sum += value;
    series.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      for (const [i, bound] of this.buckets.entries()) {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${counts[i]}`);
      }
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join("\n");
  }
}

/** Every metric the relay exports. */
export class RelayMetrics {
  readonly received = new Counter("dingbot_relay_received_total", "Webhook requests accepted, by route.");
  readonly alerts = new Counter(
    "dingbot_relay_alerts_total",
    "Alerts and events accepted into outboxes, by robot.",
  );
  readonly rejected = new Counter(
    "dingbot_relay_rejected_total",
    "Webhook requests refused, by route and status.",
  );
  readonly sent = new Counter(
    "dingbot_relay_sent_total",
    "Messages delivered to DingTalk, by robot and kind.",
  );
  readonly folded = new Counter(
    "dingbot_relay_folded_total",
    "Alerts delivered inside digest messages, by robot.",
  );
  readonly retried = new Counter(
    "dingbot_relay_retried_total",
    "Entries rescheduled after a transient failure.",
  );
  readonly rateLimited = new Counter("dingbot_relay_rate_limited_total", "Rate-limit answers from DingTalk.");
  readonly deadLettered = new Counter(
    "dingbot_relay_dead_lettered_total",
    "Entries moved to the dead-letter list.",
  );
  readonly sendSeconds = new Histogram(
    "dingbot_relay_send_duration_seconds",
    "Latency of one send to DingTalk.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly waitSeconds = new Histogram(
    "dingbot_relay_queue_wait_seconds",
    "Time from acceptance to delivery.",
    [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
  );
  /** Longest wait of a delivered entry so far, in ms (the bench reads it). */
  maxWaitMs = 0;

  /**
   * Renders the exposition text.
   * @param depths - queue depth per robot, sampled now
   */
  render(depths: ReadonlyMap<string, number>): string {
    const depthLines = [
      "# HELP dingbot_relay_queue_depth Entries waiting in each robot's outbox.",
      "# TYPE dingbot_relay_queue_depth gauge",
      ...[...depths].map(([robot, depth]) => `dingbot_relay_queue_depth${labelText({ robot })} ${depth}`),
    ];
    const maxWait = [
      "# HELP dingbot_relay_max_wait_seconds Longest time an entry waited before delivery.",
      "# TYPE dingbot_relay_max_wait_seconds gauge",
      `dingbot_relay_max_wait_seconds ${this.maxWaitMs / 1000}`,
    ];
    return `${[
      this.received,
      this.alerts,
      this.rejected,
      this.sent,
      this.folded,
      this.retried,
      this.rateLimited,
      this.deadLettered,
      this.sendSeconds,
      this.waitSeconds,
    ]
      .map((metric) => metric.render())
      .concat(depthLines.join("\n"), maxWait.join("\n"))
      .join("\n")}\n`;
  }
}
