import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  authWarnings,
  isLoopbackHost,
  loadRelayConfig,
  parseRelayConfig,
  RelayConfigError,
} from "./config.js";
import { createRelay } from "./relay.js";

const VALID = `listen: { host: 127.0.0.1, port: 9000 }
store: { sqlite: ./relay.db }
robots:
  ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=abc", secret: "\${OPS_SECRET}", keywords: [告警] }
  oncall: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=def" }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
  - { path: /critical, source: alertmanager, robots: [oncall], match: { severity: critical }, atMobiles: ["13800000000"] }
  - { path: /github, source: github, robots: [ops], secret: "\${GITHUB_WEBHOOK_SECRET}" }
`;
const ENV = { OPS_SECRET: "SECops", GITHUB_WEBHOOK_SECRET: "gh" };

function problems(text: string, env: Record<string, string> = ENV) {
  try {
    parseRelayConfig(text, "/etc/relay.yaml", env);
  } catch (error) {
    expect(error).toBeInstanceOf(RelayConfigError);
    return (error as RelayConfigError).problems;
  }
  throw new Error("expected a RelayConfigError");
}

describe("parseRelayConfig()", () => {
  it("reads the issue's example config and fills defaults", () => {
    const config = parseRelayConfig(VALID, "/etc/relay.yaml", ENV);
    expect(config.listen).toEqual({
      host: "127.0.0.1",
      port: 9000,
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 30_000,
    });
    expect(config.store).toEqual({ kind: "sqlite", path: "/etc/relay.db", synchronous: "normal" });
    expect(config.robots.get("ops")).toMatchObject({
      secret: "SECops",
      keywords: ["告警"],
      rateLimit: 20,
      rateWindowMs: 60_000,
    });
    expect(config.routes[1]).toMatchObject({ index: 1, match: { severity: "critical" }, language: "zh" });
    expect(config.routes[2]?.secret).toBe("gh");
    expect(config.limits.maxWaitMs).toBe(60_000);
  });

  it("names an unset environment variable, its key and its line", () => {
    const [problem] = problems(VALID, { OPS_SECRET: "x" });
    expect(problem).toEqual({
      key: "routes.2.secret",
      line: 9,
      message: "environment variable GITHUB_WEBHOOK_SECRET is not set",
    });
  });

  it("names the key and line of a schema error", () => {
    const bad = VALID.replace(
      "source: alertmanager, robots: [oncall]",
      "source: prometheus, robots: [oncall]",
    );
    const [problem] = problems(bad);
    expect(problem?.key).toBe("routes.1.source");
    expect(problem?.line).toBe(8);
  });

  it("reports a route that names an unknown robot", () => {
    const [problem] = problems(
      VALID.replace("robots: [ops] }\n  - { path: /critical", "robots: [opz] }\n  - { path: /critical"),
    );
    expect(problem).toMatchObject({ key: "routes.0.robots.0", line: 7 });
    expect(problem?.message).toContain('unknown robot "opz"');
  });

  it("reports unknown keys and missing required keys at their parent's line", () => {
    const unknown = problems(VALID.replace("listen: { host", "listen: { hots: x, host"));
    expect(unknown[0]).toMatchObject({ key: "listen", line: 1 });
    const missing = problems("robots: {}\n");
    expect(missing.map((p) => p.key)).toContain("routes");
  });

  it("reports a webhook without access_token at its line", () => {
    const [problem] = problems(VALID.replace("access_token=def", "token=def"));
    expect(problem).toMatchObject({ key: "robots.oncall.webhook", line: 5 });
  });

  it("reports YAML syntax errors with their line", () => {
    const [problem] = problems("robots:\n  ops: { webhook: [\n");
    expect(problem?.key).toBe("(yaml)");
    expect(problem?.line).toBeGreaterThanOrEqual(2);
  });

  it("keeps $$ as a literal dollar", () => {
    const placeholder = ["$", "{OPS_SECRET}"].join("");
    const config = parseRelayConfig(
      VALID.replace(placeholder, () => "SEC$$1"),
      "/etc/relay.yaml",
      ENV,
    );
    expect(config.robots.get("ops")?.secret).toBe("SEC$1");
  });

  it("rejects invalid regex matchers and reserved paths", () => {
    const bad = VALID.replace("severity: critical", 'severity: "=~(crit"').replace(
      "path: /github",
      "path: /metrics",
    );
    const keys = problems(bad).map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(["routes.1.match.severity", "routes.2.path"]));
  });

  it("says so when the file cannot be read, and error messages carry file:line", () => {
    expect(() => loadRelayConfig("/nonexistent/relay.yaml")).toThrow(/cannot read/);
    const dir = mkdtempSync(join(tmpdir(), "relay-config-"));
    const file = join(dir, "relay.yaml");
    writeFileSync(file, "robots: {}\nroutes: []\n");
    expect(() => loadRelayConfig(file, {})).toThrow(`${file}:2: routes:`);
  });
});

describe("listen timeouts", () => {
  it("takes them from listen and refuses a headers timeout longer than the request timeout", () => {
    const config = parseRelayConfig(
      VALID.replace("port: 9000 }", "port: 9000, headersTimeoutMs: 500, requestTimeoutMs: 800 }"),
      "/etc/relay.yaml",
      ENV,
    );
    expect(config.listen).toMatchObject({ headersTimeoutMs: 500, requestTimeoutMs: 800 });
    const bad = VALID.replace("port: 9000 }", "port: 9000, headersTimeoutMs: 900, requestTimeoutMs: 800 }");
    expect(problems(bad)).toEqual([
      expect.objectContaining({
        key: "listen.headersTimeoutMs",
        line: 1,
        message: expect.stringContaining("800"),
      }),
    ]);
  });
});

describe("route auth", () => {
  const withAuth = (first: string, second: string) =>
    VALID.replace(
      "- { path: /alertmanager, source: alertmanager, robots: [ops] }",
      `- { path: /alertmanager, source: alertmanager, robots: [ops]${first} }\n  - { path: /alertmanager, source: alertmanager, robots: [oncall]${second} }`,
    );

  it("reads a bearer token or a shared-secret header from the environment", () => {
    const config = parseRelayConfig(
      withAuth(`, auth: { bearer: "\${RELAY_TOKEN}" }`, `, auth: { bearer: "\${RELAY_TOKEN}" }`),
      "/etc/relay.yaml",
      { ...ENV, RELAY_TOKEN: "t0ken" },
    );
    expect(config.routes[0]?.auth).toEqual({ bearer: "t0ken" });
    const header = parseRelayConfig(
      withAuth(
        `, auth: { header: X-Relay-Token, secret: "\${RELAY_TOKEN}" }`,
        `, auth: { header: X-Relay-Token, secret: "\${RELAY_TOKEN}" }`,
      ),
      "/etc/relay.yaml",
      { ...ENV, RELAY_TOKEN: "t0ken" },
    );
    expect(header.routes[1]?.auth).toEqual({ header: "X-Relay-Token", secret: "t0ken" });
  });

  it("requires the routes of one path to share their auth, without printing it", () => {
    const found = problems(withAuth(', auth: { bearer: "one-secret" }', ""));
    expect(found).toEqual([
      expect.objectContaining({
        key: "routes.1.auth",
        line: 8,
        message: expect.stringContaining("same auth"),
      }),
    ]);
    expect(JSON.stringify(found)).not.toContain("one-secret");
    expect(problems(withAuth(", auth: { bearer: RELAY_TOKEN }", ", auth: { bearer: RELAY_TOKEN }"))).toEqual([
      expect.objectContaining({
        key: "routes.0.auth.bearer",
        message: expect.stringContaining(`write "\${NAME}"`),
      }),
      expect.objectContaining({ key: "routes.1.auth.bearer" }),
    ]);
    expect(
      problems(withAuth(", auth: { header: Authorization, secret: x }", "")).map((p) => p.key),
    ).toContain("routes.0.auth.header");
  });

  it("warns about routes without auth on a non-loopback address only", () => {
    const open = parseRelayConfig(VALID.replace("host: 127.0.0.1", "host: 0.0.0.0"), "/etc/relay.yaml", ENV);
    const warnings = authWarnings(open);
    // The GitHub route is signed by its secret; the two others are open.
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("route /alertmanager has no auth and the relay listens on 0.0.0.0");
    expect(warnings.join("\n")).not.toContain("/github");
    expect(authWarnings(parseRelayConfig(VALID, "/etc/relay.yaml", ENV))).toEqual([]);
    expect(authWarnings(open, "::1")).toEqual([]);
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "relay.example.com"])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("secrets: optional", () => {
  const text = `store: { sqlite: ./relay.db }
robots:
  ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=\${OPS_TOKEN}", secret: "\${OPS_SECRET}" }
  oncall: { webhook: "\${ONCALL_WEBHOOK}" }
routes:
  - { path: /am, source: alertmanager, robots: [ops, oncall], auth: { bearer: "\${RELAY_TOKEN}" } }
  - { path: /github, source: github, robots: [ops], secret: "\${GITHUB_WEBHOOK_SECRET}" }
`;

  it("loads a config whose secrets are unset, with placeholders, and says which are missing", () => {
    const config = parseRelayConfig(text, "/etc/relay.yaml", {}, { secrets: "optional" });
    expect(config.store).toEqual({ kind: "sqlite", path: "/etc/relay.db", synchronous: "normal" });
    expect(config.unsetSecrets).toEqual([
      "GITHUB_WEBHOOK_SECRET",
      "ONCALL_WEBHOOK",
      "OPS_SECRET",
      "OPS_TOKEN",
      "RELAY_TOKEN",
    ]);
    expect(config.robots.get("oncall")?.webhook).toMatch(/^https:\/\/unset\.invalid\//);
  });

  it("cannot run a relay: its webhooks and secrets are placeholders", async () => {
    const config = parseRelayConfig(text, "/etc/relay.yaml", {}, { secrets: "optional" });
    await expect(createRelay(config)).rejects.toThrow(
      /loaded without GITHUB_WEBHOOK_SECRET, .*: it cannot run/,
    );
  });

  it("still requires them by default, and still requires the store's variables", () => {
    expect(problems(text, {}).map((p) => p.key)).toEqual([
      "robots.ops.webhook",
      "robots.ops.secret",
      "robots.oncall.webhook",
      "routes.0.auth.bearer",
      "routes.1.secret",
    ]);
    const storeFromEnv = text.replace("sqlite: ./relay.db", `sqlite: "\${DATA_DIR}/relay.db"`);
    expect(() => parseRelayConfig(storeFromEnv, "/etc/relay.yaml", {}, { secrets: "optional" })).toThrow(
      "store.sqlite: environment variable DATA_DIR is not set",
    );
  });
});
