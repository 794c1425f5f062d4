/**
 * Turns one webhook into outbox entries: for every route on the path, keep the alerts its matchers accept
 * and address them to each of the route's robots with the mentions it asks for. Rendering happens when a
 * message is sent (see scheduler.ts).
 * @module
 */
import type { ResolvedRoute } from "./config.js";
import type { LabelPredicate } from "./match.js";
import type { RouteRenderer } from "./templates/engine.js";
import type { DigestLine, NewOutboxEntry, RelayAlert } from "./types.js";

/** A route ready to take webhooks. */
export interface CompiledRoute {
  route: ResolvedRoute;
  matches: LabelPredicate;
  renderer: RouteRenderer;
}

const unique = (values: Iterable<string>): string[] => [...new Set(values)];

/**
 * Builds the outbox entries of one webhook.
 * @param routes - the routes of the path the webhook came to
 * @param alerts - the normalized alerts
 * @param sourceContext - the source's template variables
 * @param now - acceptance time
 */
export function buildEntries(
  routes: readonly CompiledRoute[],
  alerts: readonly RelayAlert[],
  sourceContext: Record<string, unknown>,
  now: number,
): NewOutboxEntry[] {
  const entries: NewOutboxEntry[] = [];
  for (const { route, matches } of routes) {
    const matched = alerts.filter((alert) => matches(alert.labels));
    if (matched.length === 0) continue;
    const atMobiles = unique([...(route.atMobiles ?? []), ...matched.flatMap((alert) => alert.atMobiles)]);
    const atUserIds = unique([...(route.atUserIds ?? []), ...matched.flatMap((alert) => alert.atUserIds)]);
    const lines = linesOf(matched);
    for (const robot of route.robots) {
      entries.push({
        robot,
        route: route.index,
        createdAt: now,
        atMobiles,
        atUserIds,
        atAll: route.atAll ?? false,
        lines,
        alerts: matched,
        context: sourceContext,
      });
    }
  }
  return entries;
}

/** The digest lines of alerts: one per alert (stores derive them again instead of storing them twice). */
export function linesOf(alerts: readonly RelayAlert[]): DigestLine[] {
  return alerts.map((alert) => ({
    name: alert.name,
    severity: alert.severity,
    status: alert.status,
    ...(alert.url ? { url: alert.url } : {}),
  }));
}

/** Routes grouped by path, in config order. */
export function routesByPath(compiled: readonly CompiledRoute[]): Map<string, CompiledRoute[]> {
  const byPath = new Map<string, CompiledRoute[]>();
  for (const entry of compiled) {
    const list = byPath.get(entry.route.path) ?? [];
    list.push(entry);
    byPath.set(entry.route.path, list);
  }
  return byPath;
}
