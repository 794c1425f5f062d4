/**
 * Helpers every source adapter uses to read untrusted JSON without trusting its shape.
 * @module
 */
import { isJsonObject } from "dingbot-sdk/protocol";

/** Keeps the string-ish entries of an object (numbers and booleans become strings). */
export function stringRecord(value: unknown): Record<string, string> {
  if (!isJsonObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === "string") out[key] = item;
    else if (typeof item === "number" || typeof item === "boolean") out[key] = String(item);
  }
  return out;
}

/** Reads a string field, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** Splits a mention list given as a label or annotation (`"138…,139…"` or `"138… 139…"`). */
export function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[\s,;，]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

const MOBILE_KEYS = ["atMobiles", "at_mobiles", "atmobiles"];
const USER_ID_KEYS = ["atUserIds", "at_user_ids", "atuserids"];

/** The first of `keys` set in the annotations, else in the labels. */
function firstOf(
  annotations: Record<string, string>,
  labels: Record<string, string>,
  keys: readonly string[],
): string | undefined {
  for (const key of keys) if (annotations[key]) return annotations[key];
  for (const key of keys) if (labels[key]) return labels[key];
  return undefined;
}

/**
 * Mentions an alert asks for itself, through labels or annotations named `atMobiles` / `at_mobiles` and
 * `atUserIds` / `at_user_ids` (annotations win over labels). Called for every alert at ingest, so it makes
 * no closure or array per call.
 */
export function mentionsOf(
  labels: Record<string, string>,
  annotations: Record<string, string>,
): { atMobiles: string[]; atUserIds: string[] } {
  return {
    atMobiles: splitList(firstOf(annotations, labels, MOBILE_KEYS)),
    atUserIds: splitList(firstOf(annotations, labels, USER_ID_KEYS)),
  };
}

/** Alertmanager and Grafana use this zero time for "not ended yet". */
export const ZERO_TIME = "0001-01-01T00:00:00Z";
