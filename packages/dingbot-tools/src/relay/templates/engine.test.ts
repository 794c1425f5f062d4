import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResolvedRoute } from "../config.js";
import { parseAlertmanager } from "../sources/alertmanager.js";
import { createRouteRenderer, TemplateError, truncateText } from "./engine.js";
import { SAMPLE_BODIES } from "./samples.js";

const dir = mkdtempSync(join(tmpdir(), "relay-templates-"));

function route(template: string | undefined, extra: Partial<ResolvedRoute> = {}): ResolvedRoute {
  let templateFile: string | undefined;
  if (template !== undefined) {
    templateFile = join(dir, `t${Math.random().toString(36).slice(2)}.md`);
    writeFileSync(templateFile, template);
  }
  return {
    index: 0,
    path: "/am",
    source: "alertmanager",
    robots: ["ops"],
    language: "zh",
    ...(templateFile ? { template: templateFile, templateFile } : {}),
    ...extra,
  };
}

function renderError(r: ResolvedRoute): TemplateError {
  try {
    createRouteRenderer(r, "Asia/Shanghai");
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error("expected a TemplateError");
}

const sample = parseAlertmanager(SAMPLE_BODIES.alertmanager?.body);
if (sample.kind !== "alerts") throw new Error("bad sample");

describe("createRouteRenderer()", () => {
  it("renders a custom Liquid template and takes the title from its heading", () => {
    const renderer = createRouteRenderer(
      route(
        "## {{ alerts[0].emoji }} {{ commonLabels.alertname }} on {{ alerts[0].labels.instance }}\n{{ alerts.size }} 条",
      ),
      "Asia/Shanghai",
    );
    const out = renderer.render(sample.alerts, sample.context);
    expect(out.title).toBe("🔴 HighCPU on web-1:9100");
    expect(out.text).toContain("1 条");
  });

  it("names the file and line of a syntax error", () => {
    const r = route("line one\n{% if x %}\nunclosed\n");
    const error = renderError(r);
    expect(error.file).toBe(r.templateFile);
    expect(error.message).toMatch(new RegExp(`^${r.templateFile}:2: `));
  });

  it("names the file and line of an unknown filter", () => {
    const error = renderError(route("ok\n\n{{ alerts.size | shout }}"));
    expect(error.line).toBe(3);
    expect(error.message).toContain("undefined filter: shout");
  });

  it("names the file and line of a misspelt variable, found by the dry run against a sample", () => {
    const error = renderError(
      route("# {{ headline }}\n{% for a in alerts %}{{ a.labelz.instance }}{% endfor %}"),
    );
    expect(error.line).toBe(2);
    expect(error.message).toContain("undefined variable: a.labelz");
  });

  it("checks a generic route's template against the route's sample file", () => {
    const sampleFile = join(dir, "sample.json");
    writeFileSync(sampleFile, JSON.stringify({ job: "backup", minutes: 42 }));
    const good = route("{{ body.job }} took {{ minutes }} min", { source: "generic", sampleFile });
    expect(createRouteRenderer(good, "UTC").render([], { body: { job: "backup" }, minutes: 42 }).text).toBe(
      "backup took 42 min",
    );
    const bad = renderError(route("{{ body.jobb }}", { source: "generic", sampleFile }));
    expect(bad.message).toContain("undefined variable: body.jobb");
  });

  it("says when the template file is missing", () => {
    const error = renderError({
      ...route(undefined),
      template: "nope.md",
      templateFile: join(dir, "nope.md"),
    });
    expect(error.message).toContain("cannot read template");
  });

  it("cannot read files: include and render of any path fail at start-up", () => {
    for (const tag of [
      '{% include "/etc/passwd" %}',
      '{% render "relay.yaml" %}',
      "{% include 'package.json' %}",
    ]) {
      expect(renderError(route(`x\n${tag}`)).line).toBe(2);
    }
  });

  it("renders the built-in templates in Chinese and English", () => {
    const zh = createRouteRenderer(route(undefined), "Asia/Shanghai").render(sample.alerts, sample.context);
    expect(zh.text).toContain("**🔴 告警 · HighCPU** · 严重");
    expect(zh.text).toContain("开始：2026-11-26 10:00:00");
    const en = createRouteRenderer(route(undefined, { language: "en" }), "UTC").render(
      sample.alerts,
      sample.context,
    );
    expect(en.text).toContain("**🔴 Firing · HighCPU** · Critical");
    expect(en.text).toContain("Started: 2026-11-26 02:00:00");
  });
});

describe("truncateText()", () => {
  it("cuts on a character boundary and says so", () => {
    const text = "告".repeat(10_000);
    const cut = truncateText(text, 100);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut).not.toContain("\uFFFD");
  });
});
