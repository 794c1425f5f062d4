/**
 * Grafana unified alerting's webhook contact point: Alertmanager's shape plus title, message, orgId and
 * per-alert dashboard, panel and silence links and values.
 * https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
 * @module
 */
import { isJsonObject } from "dingbot-sdk/protocol";
import type { SourceResult } from "../types.js";
import { normalizePromAlert } from "./alertmanager.js";
import { str, stringRecord } from "./shared.js";

/**
 * Reads a Grafana webhook body.
 * @param body - the parsed JSON body
 */
export function parseGrafana(body: unknown): SourceResult {
  if (!isJsonObject(body)) return { kind: "invalid", reason: "body must be a JSON object" };
  if (!Array.isArray(body.alerts)) return { kind: "invalid", reason: "alerts must be an array" };
  const status = str(body.status) ?? "firing";
  const alerts = [];
  for (const [index, alert] of body.alerts.entries()) {
    if (!isJsonObject(alert)) return { kind: "invalid", reason: `alerts[${index}] must be an object` };
    const normalized = normalizePromAlert(alert, status);
    // Grafana's own links beat the generator (rule editor) link for people reading the group.
    const url = str(alert.panelURL) ?? str(alert.dashboardURL) ?? normalized.url;
    const value = str(alert.valueString);
    alerts.push({
      ...normalized,
      ...(url ? { url } : {}),
      annotations: {
        ...normalized.annotations,
        ...(str(alert.silenceURL) ? { silenceURL: str(alert.silenceURL) as string } : {}),
        ...(value ? { valueString: value } : {}),
      },
    });
  }
  return {
    kind: "alerts",
    alerts,
    context: {
      receiver: str(body.receiver) ?? "",
      title: str(body.title) ?? "",
      message: str(body.message) ?? "",
      state: str(body.state) ?? "",
      orgId: typeof body.orgId === "number" ? body.orgId : 0,
      groupLabels: stringRecord(body.groupLabels),
      commonLabels: stringRecord(body.commonLabels),
      commonAnnotations: stringRecord(body.commonAnnotations),
      externalURL: str(body.externalURL) ?? "",
    },
  };
}
