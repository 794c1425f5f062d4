/**
 * Small sample bodies per source, used to dry-render templates at start-up with strict variables, so a
 * typo in a custom template stops the relay before it drops a real alert.
 * @module
 */
import type { SourceKind } from "../config-schema.js";

const PROM_ALERT = {
  status: "firing",
  labels: { alertname: "HighCPU", severity: "critical", instance: "web-1:9100", job: "node" },
  annotations: { summary: "CPU above 90% for 5 minutes", runbook_url: "https://runbooks.example.com/cpu" },
  startsAt: "2026-11-26T02:00:00Z",
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "http://prometheus.example.com/graph?g0.expr=cpu",
  fingerprint: "2f5d3c9a4b1e6f70",
};

/** A sample body for each source (generic has none: configure `sample:` on the route). */
export const SAMPLE_BODIES: Partial<Record<SourceKind, { body: unknown; headers: Record<string, string> }>> =
  {
    alertmanager: {
      headers: {},
      body: {
        version: "4",
        groupKey: '{}:{alertname="HighCPU"}',
        truncatedAlerts: 0,
        status: "firing",
        receiver: "dingtalk",
        groupLabels: { alertname: "HighCPU" },
        commonLabels: { alertname: "HighCPU", severity: "critical" },
        commonAnnotations: { summary: "CPU above 90% for 5 minutes" },
        externalURL: "http://alertmanager.example.com:9093",
        alerts: [PROM_ALERT],
      },
    },
    grafana: {
      headers: {},
      body: {
        receiver: "dingtalk",
        status: "firing",
        orgId: 1,
        alerts: [
          {
            ...PROM_ALERT,
            silenceURL: "https://grafana.example.com/alerting/silence/new",
            dashboardURL: "https://grafana.example.com/d/abc",
            panelURL: "https://grafana.example.com/d/abc?viewPanel=1",
            values: { B: 93.2 },
            valueString: "[ var='B' labels={instance=web-1:9100} value=93.2 ]",
          },
        ],
        groupLabels: { alertname: "HighCPU" },
        commonLabels: { alertname: "HighCPU" },
        commonAnnotations: {},
        externalURL: "https://grafana.example.com/",
        version: "1",
        groupKey: "{}:{}",
        truncatedAlerts: 0,
        title: "[FIRING:1] HighCPU",
        state: "alerting",
        message: "**Firing**",
      },
    },
    github: {
      headers: { "x-github-event": "push" },
      body: {
        ref: "refs/heads/main",
        before: "0000000000000000000000000000000000000000",
        after: "1111111111111111111111111111111111111111",
        compare: "https://github.com/octo/app/compare/000000...111111",
        forced: false,
        commits: [{ id: "1111111", message: "Fix", url: "https://github.com/octo/app/commit/1111111" }],
        pusher: { name: "octocat", email: "octocat@example.com" },
        repository: { full_name: "octo/app", html_url: "https://github.com/octo/app" },
        sender: { login: "octocat" },
      },
    },
  };
