/**
 * Renders an outbox entry sent on its own. A webhook routed to many robots becomes one entry per robot with
 * the same alerts; rendering the route's template for each was 14 % of the relay's CPU in a fan-out to 500
 * robots (bench/RESULTS.md, issue 15.4). A rendering depends only on the route, the alerts and the source's
 * variables, so entries that share them (the SQLite store hands out one parsed value for rows of the same
 * text) share one rendering.
 * @module
 */
import { foldDigest } from "./digest.js";
import type { CompiledRoute } from "./ingest.js";
import type { OutboxEntry, RelayAlert, RenderedMessage } from "./types.js";

type Rendering = Pick<RenderedMessage, "title" | "text">;

/** What was rendered for one alerts array: per route, with the variables it was rendered with. */
interface Renderings {
  context: Record<string, unknown>;
  byRoute: Map<number, Rendering>;
}

/**
 * Creates the renderer the schedulers use. An entry whose route no longer exists (the config changed while it
 * was queued) or whose rendering fails is sent as a one-entry digest, so it is never lost.
 * @param compiled - the routes, by index
 */
export function createEntryRenderer(
  compiled: readonly CompiledRoute[],
): (entry: OutboxEntry) => RenderedMessage {
  // Keyed by the alerts array itself: forgotten with the entries, and never confused by equal-looking alerts
  // of another webhook.
  const cache = new WeakMap<readonly RelayAlert[], Renderings>();
  const rendered = (entry: OutboxEntry, route: CompiledRoute): Rendering => {
    let known = cache.get(entry.alerts);
    if (known?.context !== entry.context) {
      known = { context: entry.context, byRoute: new Map() };
      cache.set(entry.alerts, known);
    }
    let rendering = known.byRoute.get(entry.route);
    if (!rendering) {
      rendering = route.renderer.render(entry.alerts, entry.context);
      known.byRoute.set(entry.route, rendering);
    }
    return rendering;
  };
  return (entry) => {
    const mentions = { atMobiles: entry.atMobiles, atUserIds: entry.atUserIds, atAll: entry.atAll };
    const route = compiled[entry.route];
    try {
      if (route) return { ...rendered(entry, route), ...mentions };
    } catch {
      // Fall through to the digest form below.
    }
    return foldDigest([entry], route?.route.language ?? "zh").message;
  };
}
