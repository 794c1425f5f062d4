/**
 * The variables a template sees: the source's own fields plus each alert with ready-made words,
 * emoji and times, so templates stay short and never need logic for 告警/恢复.
 * @module
 */
import type { SourceKind } from "../config-schema.js";
import { severityRank, severityWord, statusEmoji, statusWord } from "../severity.js";
import type { AlertStatus, RelayAlert } from "../types.js";

/** What the context builder needs to know about the route. */
export interface ContextOptions {
  source: SourceKind;
  language: "zh" | "en";
  timezone: string;
}

/** Labels not worth repeating in a message (already in the heading, or mention lists). */
const HIDDEN_LABELS = new Set([
  "alertname",
  "severity",
  "atMobiles",
  "at_mobiles",
  "atUserIds",
  "at_user_ids",
]);

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Formats an ISO time as `2026-11-26 10:00:00` in the zone; empty for missing or zero times. */
export function formatTime(iso: string | undefined, timezone: string): string {
  if (!iso || iso.startsWith("0001-")) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("sv-SE", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hour12: false,
    });
    formatters.set(timezone, format);
  }
  return format.format(date);
}

/** One alert as templates see it: every field present (empty string when unknown) so strict checks pass. */
export function alertView(alert: RelayAlert, options: ContextOptions): Record<string, unknown> {
  return {
    name: alert.name,
    severity: alert.severity,
    severityWord: severityWord(alert.severity, options.language),
    status: alert.status,
    statusWord: statusWord(alert.status, options.language),
    emoji: statusEmoji(alert.severity, alert.status),
    labels: alert.labels,
    annotations: alert.annotations,
    labelText: Object.entries(alert.labels)
      .filter(([key]) => !HIDDEN_LABELS.has(key))
      .map(([key, value]) => `${key}=${value}`)
      .join(", "),
    summary: alert.summary ?? "",
    url: alert.url ?? "",
    silenceURL: alert.annotations.silenceURL ?? "",
    valueString: alert.annotations.valueString ?? "",
    startsAt: alert.startsAt ?? "",
    startsAtText: formatTime(alert.startsAt, options.timezone),
    endsAt: alert.endsAt ?? "",
    endsAtText: formatTime(alert.endsAt, options.timezone),
    atMobiles: alert.atMobiles,
    atUserIds: alert.atUserIds,
  };
}

/** Overall status of a group: firing if anything fires, resolved if everything resolved, else info. */
export function groupStatus(alerts: readonly RelayAlert[]): AlertStatus {
  if (alerts.some((alert) => alert.status === "firing")) return "firing";
  if (alerts.length > 0 && alerts.every((alert) => alert.status === "resolved")) return "resolved";
  return "info";
}

/** A one-line headline, also used as the message title: `🔴 告警 3 条 · HighCPU`. */
export function headline(alerts: readonly RelayAlert[], options: ContextOptions): string {
  const firing = alerts.filter((a) => a.status === "firing");
  const resolved = alerts.filter((a) => a.status === "resolved");
  const status = groupStatus(alerts);
  const worst = [...alerts].sort((a, b) => severityRank(a.severity) - severityRank(b.severity))[0];
  const names = [...new Set(alerts.map((a) => a.name))];
  const nameText = names.length <= 2 ? names.join(", ") : `${names.slice(0, 2).join(", ")} …`;
  const emoji = worst ? statusEmoji(worst.severity, status) : "🔵";
  if (status === "info") return `${emoji} ${nameText}`;
  const zh = options.language === "zh";
  const parts: string[] = [];
  if (firing.length > 0) parts.push(zh ? `告警 ${firing.length} 条` : `${firing.length} firing`);
  if (resolved.length > 0) parts.push(zh ? `恢复 ${resolved.length} 条` : `${resolved.length} resolved`);
  return `${emoji} ${parts.join(zh ? "，" : ", ")} · ${nameText}`;
}

/**
 * Builds the template variables for the alerts of one route.
 * @param alerts - the alerts that matched the route
 * @param sourceContext - the source's own fields
 * @param options - source, language and time zone
 */
export function templateContext(
  alerts: readonly RelayAlert[],
  sourceContext: Record<string, unknown>,
  options: ContextOptions,
): Record<string, unknown> {
  const views = alerts.map((alert) => alertView(alert, options));
  return {
    ...sourceContext,
    source: options.source,
    language: options.language,
    status: groupStatus(alerts),
    headline: headline(alerts, options),
    alerts: views,
    firing: views.filter((view) => view.status === "firing"),
    resolved: views.filter((view) => view.status === "resolved"),
  };
}
