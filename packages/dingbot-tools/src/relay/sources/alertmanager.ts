/**
 * Alertmanager's webhook receiver payload (version "4"): a group of alerts, firing and resolved mixed.
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 * @module
 */
import { isJsonObject } from "dingbot-sdk/protocol";
import type { RelayAlert, SourceResult } from "../types.js";
import { mentionsOf, str, stringRecord, ZERO_TIME } from "./shared.js";

/** Normalizes one Alertmanager-shaped alert (Grafana sends the same shape plus extra links). */
export function normalizePromAlert(alert: Record<string, unknown>, groupStatus: string): RelayAlert {
  const labels = stringRecord(alert.labels);
  const annotations = stringRecord(alert.annotations);
  const status = (str(alert.status) ?? groupStatus) === "resolved" ? "resolved" : "firing";
  const endsAt = str(alert.endsAt);
  const url = str(alert.generatorURL) ?? annotations.runbook_url;
  const summary = annotations.summary ?? annotations.description ?? annotations.message;
  const startsAt = str(alert.startsAt);
  return {
    name: labels.alertname ?? "alert",
    severity: (labels.severity ?? labels.priority ?? "none").toLowerCase(),
    status,
    labels,
    annotations,
    ...(url ? { url } : {}),
    ...(summary ? { summary } : {}),
    ...(startsAt ? { startsAt } : {}),
    ...(endsAt && endsAt !== ZERO_TIME && status === "resolved" ? { endsAt } : {}),
    ...mentionsOf(labels, annotations),
  };
}

/**
 * Reads an Alertmanager webhook body.
 * @param body - the parsed JSON body
 */
export function parseAlertmanager(body: unknown): SourceResult {
  if (!isJsonObject(body)) return { kind: "invalid", reason: "body must be a JSON object" };
  if (body.version !== undefined && body.version !== "4") {
    return {
      kind: "invalid",
      reason: `unsupported Alertmanager webhook version ${JSON.stringify(body.version)} (want "4")`,
    };
  }
  if (!Array.isArray(body.alerts)) return { kind: "invalid", reason: "alerts must be an array" };
  const status = str(body.status) ?? "firing";
  if (status !== "firing" && status !== "resolved") {
    return {
      kind: "invalid",
      reason: `status must be firing or resolved, got ${JSON.stringify(body.status)}`,
    };
  }
  const alerts: RelayAlert[] = [];
  for (const [index, alert] of body.alerts.entries()) {
    if (!isJsonObject(alert) || !isJsonObject(alert.labels)) {
      return { kind: "invalid", reason: `alerts[${index}] must be an object with labels` };
    }
    alerts.push(normalizePromAlert(alert, status));
  }
  return {
    kind: "alerts",
    alerts,
    context: {
      receiver: str(body.receiver) ?? "",
      groupKey: str(body.groupKey) ?? "",
      groupLabels: stringRecord(body.groupLabels),
      commonLabels: stringRecord(body.commonLabels),
      commonAnnotations: stringRecord(body.commonAnnotations),
      externalURL: str(body.externalURL) ?? "",
      truncatedAlerts: typeof body.truncatedAlerts === "number" ? body.truncatedAlerts : 0,
    },
  };
}
