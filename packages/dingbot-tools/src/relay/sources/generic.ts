/**
 * Any JSON body: a template decides what to say; a few conventional fields (title, severity, status, url)
 * feed routing and digests when present.
 * @module
 */
import { isJsonObject } from "dingbot-sdk/protocol";
import type { RelayAlert, SourceResult } from "../types.js";
import { mentionsOf, str, stringRecord } from "./shared.js";

/**
 * Reads a generic JSON body (an object, or an array of objects: one alert each).
 * @param body - the parsed JSON body
 */
export function parseGeneric(body: unknown): SourceResult {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0 || !items.every(isJsonObject)) {
    return { kind: "invalid", reason: "body must be a JSON object or an array of objects" };
  }
  const alerts = items.map((item): RelayAlert => {
    const labels = { ...stringRecord(item), ...stringRecord(item.labels) };
    const annotations = stringRecord(item.annotations);
    const rawStatus = (str(item.status) ?? "").toLowerCase();
    const url = str(item.url) ?? str(item.link) ?? str(item.html_url);
    const summary = str(item.summary) ?? str(item.message) ?? str(item.text) ?? str(item.description);
    return {
      name: str(item.alertname) ?? str(item.title) ?? str(item.name) ?? str(item.event) ?? "event",
      severity: (str(item.severity) ?? str(item.level) ?? str(item.priority) ?? "info").toLowerCase(),
      status: rawStatus === "firing" || rawStatus === "resolved" ? rawStatus : "info",
      labels,
      annotations,
      ...(url ? { url } : {}),
      ...(summary ? { summary } : {}),
      ...mentionsOf(labels, annotations),
    };
  });
  return { kind: "alerts", alerts, context: { body, ...(isJsonObject(body) ? body : { items: body }) } };
}
