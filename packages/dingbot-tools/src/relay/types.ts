/**
 * The relay's own data model: what every source turns a webhook into, and what the outbox stores.
 * @module
 */

/** Whether an alert is firing, resolved, or an event that is neither (a push, a release). */
export type AlertStatus = "firing" | "resolved" | "info";

/** One alert or event, whatever source it came from. */
export interface RelayAlert {
  /** Grouping name in digests: `alertname`, or e.g. `push owner/repo`. */
  name: string;
  /** Lower-case severity (`critical`, `error`, `warning`, `info`, or what the source said). */
  severity: string;
  status: AlertStatus;
  /** Labels used by route matchers. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The most useful link (generator, dashboard, html_url). */
  url?: string;
  /** One-line description. */
  summary?: string;
  /** ISO time the alert started (or the event happened). */
  startsAt?: string;
  /** ISO time the alert ended, when resolved. */
  endsAt?: string;
  /** Mobiles to mention, from the alert's labels or annotations (`atMobiles`). */
  atMobiles: string[];
  /** userIds to mention, from the alert's labels or annotations (`atUserIds`). */
  atUserIds: string[];
}

/** What a source adapter makes of one webhook body. */
export type SourceResult =
  | {
      kind: "alerts";
      alerts: RelayAlert[];
      /** Source-specific template variables (the body's own fields, under their own names). */
      context: Record<string, unknown>;
    }
  | { kind: "ignored"; reason: string }
  | { kind: "pong" }
  | { kind: "invalid"; reason: string };

/** Per-alert line of a digest: what it counts and links. */
export interface DigestLine {
  name: string;
  severity: string;
  status: AlertStatus;
  url?: string;
}

/** The markdown message a route rendered for one robot. */
export interface RenderedMessage {
  title: string;
  text: string;
  atMobiles: string[];
  atUserIds: string[];
  atAll: boolean;
}

/** Who a message mentions. */
export interface Mentions {
  atMobiles: string[];
  atUserIds: string[];
  atAll: boolean;
}

/**
 * A message waiting in a robot's outbox: the alerts a route matched, not yet rendered. Rendering waits until
 * the message is sent on its own: in a storm most entries are folded into digests and never rendered.
 */
export interface NewOutboxEntry extends Mentions {
  robot: string;
  /** Index of the route in the config. */
  route: number;
  createdAt: number;
  /** One line per alert, for digests. */
  lines: DigestLine[];
  /** The matched alerts, for the route's template. */
  alerts: RelayAlert[];
  /** The source's template variables. */
  context: Record<string, unknown>;
}

/** An outbox entry as stored. */
export interface OutboxEntry extends NewOutboxEntry {
  id: string;
  attempts: number;
  nextAt: number;
}

/** A dead-lettered entry: why it could not be delivered. */
export interface DeadLetter extends OutboxEntry {
  deadAt: number;
  reason: string;
}
