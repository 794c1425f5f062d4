import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAlertmanager } from "./alertmanager.js";
import { parseGeneric } from "./generic.js";
import { parseGithub, verifyGithubSignature } from "./github.js";
import { parseGrafana } from "./grafana.js";

const FIXTURES = new URL("../../../../../test/fixtures/relay/", import.meta.url);
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));

describe("parseAlertmanager()", () => {
  it("normalizes every alert of a v4 group with name, severity, status, link and mentions", () => {
    const result = parseAlertmanager(load("alertmanager-firing.json"));
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts).toHaveLength(2);
    expect(result.alerts[1]).toMatchObject({
      name: "HighRequestLatency",
      severity: "critical",
      status: "firing",
      url: "http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile&g0.tab=1",
      atMobiles: ["13800000001"],
    });
    expect(result.alerts[0]?.endsAt).toBeUndefined();
    expect(result.context).toMatchObject({
      receiver: "dingtalk",
      groupLabels: { alertname: "HighRequestLatency" },
    });
  });

  it("keeps per-alert status in a mixed group and the end time of resolved alerts", () => {
    const result = parseAlertmanager(load("alertmanager-mixed.json"));
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts.map((a) => `${a.name}/${a.status}/${a.severity}`)).toEqual([
      "NodeDown/firing/critical",
      "HighLoad/firing/warning",
      "HighLoad/resolved/warning",
    ]);
    expect(result.alerts[2]?.endsAt).toBe("2026-11-26T02:19:00Z");
  });

  it("refuses other versions and shapes with a reason", () => {
    expect(parseAlertmanager({ version: "3", alerts: [] })).toMatchObject({ kind: "invalid" });
    expect(parseAlertmanager({ alerts: {} })).toMatchObject({
      kind: "invalid",
      reason: "alerts must be an array",
    });
    expect(parseAlertmanager({ status: "weird", alerts: [] })).toMatchObject({ kind: "invalid" });
    expect(parseAlertmanager(null)).toMatchObject({ kind: "invalid" });
  });
});

describe("parseGrafana()", () => {
  it("prefers panel and dashboard links and keeps the silence link and values", () => {
    const result = parseGrafana(load("grafana-firing.json"));
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts[0]).toMatchObject({
      name: "High memory usage",
      severity: "none",
      url: "https://play.grafana.org/alerting/1afz29v7z/edit",
    });
    expect(result.alerts[1]?.url).toBe("https://play.grafana.org/d/abc123?viewPanel=2");
    expect(result.alerts[1]?.annotations.silenceURL).toContain("/alerting/silence/new");
    expect(result.alerts[1]?.annotations.valueString).toContain("value=90.1");
    expect(result.context).toMatchObject({ title: "[FIRING:2]  (blue)", state: "alerting", orgId: 1 });
  });

  it("reads resolved notifications", () => {
    const result = parseGrafana(load("grafana-resolved.json"));
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts[0]).toMatchObject({
      status: "resolved",
      endsAt: "2021-10-12T10:21:03.157076+02:00",
    });
  });
});

describe("parseGithub()", () => {
  it.each([
    [
      "push",
      "github-push.json",
      {
        name: "push octocat/Hello-World",
        url: "https://github.com/octocat/Hello-World/compare/6113728f27ae...0d1a26e67d8f",
      },
    ],
    [
      "pull_request",
      "github-pull_request-opened.json",
      { name: "PR octocat/Hello-World", summary: "#1347 Amazing new feature" },
    ],
    [
      "pull_request",
      "github-pull_request-merged.json",
      { labels: expect.objectContaining({ state: "merged" }) },
    ],
    [
      "issues",
      "github-issues-opened.json",
      { name: "issue octocat/Hello-World", url: "https://github.com/octocat/Hello-World/issues/1347" },
    ],
    ["workflow_run", "github-workflow_run-completed.json", { severity: "error", status: "firing" }],
    ["release", "github-release-published.json", { name: "release octocat/Hello-World", summary: "v1.0.0" }],
  ])("reads %s events (%s)", (event, file, expected) => {
    const result = parseGithub(event, load(file));
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts[0]).toMatchObject(expected);
    expect(result.alerts[0]?.labels).toMatchObject({ event, repository: "octocat/Hello-World" });
  });

  it("answers ping, ignores unlisted events and noisy actions, and refuses a missing event header", () => {
    expect(parseGithub("ping", load("github-ping.json"))).toEqual({ kind: "pong" });
    expect(parseGithub("star", load("github-star-created.json"))).toMatchObject({ kind: "ignored" });
    expect(parseGithub("pull_request", load("github-pull_request-synchronize.json"))).toMatchObject({
      kind: "ignored",
    });
    expect(parseGithub("workflow_run", load("github-workflow_run-requested.json"))).toMatchObject({
      kind: "ignored",
    });
    expect(parseGithub(undefined, {})).toMatchObject({ kind: "invalid" });
    expect(parseGithub("push", { ref: "x" })).toMatchObject({ kind: "invalid" });
  });
});

describe("verifyGithubSignature()", () => {
  const body = new TextEncoder().encode('{"zen":"ok"}');
  const good = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`;
  it("accepts the right HMAC and refuses everything else", () => {
    expect(verifyGithubSignature("s3cret", body, good)).toBe(true);
    expect(verifyGithubSignature("s3cret", body, good.toUpperCase().replace("SHA256=", "sha256="))).toBe(
      true,
    );
    expect(verifyGithubSignature("other", body, good)).toBe(false);
    expect(verifyGithubSignature("s3cret", body, undefined)).toBe(false);
    expect(verifyGithubSignature("s3cret", body, good.slice(0, -2))).toBe(false);
    expect(verifyGithubSignature("s3cret", body, good.replace("sha256=", "sha1="))).toBe(false);
    expect(verifyGithubSignature("s3cret", new TextEncoder().encode('{"zen":"ko"}'), good)).toBe(false);
  });
});

describe("parseGeneric()", () => {
  it("reads conventional fields and keeps scalars as labels", () => {
    const result = parseGeneric(load("generic.json"));
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts[0]).toMatchObject({
      name: "Backup finished",
      severity: "info",
      status: "firing",
      url: "https://backup.example.com/jobs/981",
      labels: expect.objectContaining({ host: "db-1", durationMinutes: "42" }),
    });
    expect(result.context.body).toEqual(load("generic.json"));
  });

  it("takes an array as one alert per item and refuses non-objects", () => {
    const result = parseGeneric([{ title: "a" }, { title: "b", atMobiles: "138,139" }]);
    if (result.kind !== "alerts") throw new Error(result.kind);
    expect(result.alerts.map((a) => a.name)).toEqual(["a", "b"]);
    expect(result.alerts[1]?.atMobiles).toEqual(["138", "139"]);
    expect(parseGeneric("x")).toMatchObject({ kind: "invalid" });
    expect(parseGeneric([])).toMatchObject({ kind: "invalid" });
  });
});
