/**
 * `dingbot relay check` (config, templates, --send-test) run as the real CLI from source, against the
 * emulator; nothing it prints may contain a token or a secret.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_OUTPUT, runCli } from "../helpers/cli.js";
import {
  type EmulatorHarness,
  startEmulator,
  TOKEN,
  tempDir,
  WEBHOOK,
  writeConfig,
} from "./relay-harness.js";

const SECRET = "SECrelayclisecret0123456789abcdef";
let harness: EmulatorHarness;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  harness = await startEmulator({}, { secret: SECRET, keywords: ["告警"] });
  dir = tempDir();
});

afterAll(async () => {
  await harness?.close();
  dir?.cleanup();
});

const config = (extra = "") => `
store: { sqlite: ./relay.db }
robots:
  ops: { webhook: "${WEBHOOK}", secret: "\${OPS_SECRET}", keywords: [告警] }
routes:
  - { path: /alertmanager, source: alertmanager, robots: [ops] }
${extra}`;

describe("dingbot relay", () => {
  it("refuses to start on a bad config with exit code 2, naming the key and the line", async () => {
    const file = writeConfig(dir.dir, config(), "start-unset.yaml");
    const result = await runCli(["relay", "--config", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${file}:4: robots.ops.secret: environment variable OPS_SECRET is not set`,
    );
  });
});

describe("dingbot relay check", () => {
  it("accepts the example config with its templates", async () => {
    const result = await runCli(["relay", "check", "examples/relay.yaml"], {
      env: { OPS_TOKEN: "a", OPS_SECRET: "SECb", ONCALL_TOKEN: "c", GITHUB_WEBHOOK_SECRET: "d" },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("examples/relay.yaml: ok (2 robots, 5 routes, templates compiled)");
  });

  it("fails naming the unset variable, the key and the line", async () => {
    const file = writeConfig(dir.dir, config(), "unset.yaml");
    const result = await runCli(["relay", "check", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${file}:4: robots.ops.secret: environment variable OPS_SECRET is not set`,
    );
  });

  it("fails naming the template file and line", async () => {
    writeFileSync(
      join(dir.dir, "bad.md"),
      "# {{ headline }}\n\n{% for a in alerts %}{{ a.nmae }}{% endfor %}\n",
    );
    const file = writeConfig(
      dir.dir,
      config("  - { path: /t, source: alertmanager, robots: [ops], template: bad.md }"),
      "tpl.yaml",
    );
    const result = await runCli(["relay", "check", file], { env: { OPS_SECRET: SECRET } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(dir.dir, "bad.md")}:3: undefined variable: a.nmae`);
  });

  it("sends a signed test message to each robot with --send-test", async () => {
    const file = writeConfig(dir.dir, config(), "send.yaml");
    const result = await runCli(["relay", "check", file, "--send-test"], {
      env: { OPS_SECRET: SECRET, DINGTALK_BASE_URL: harness.url },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ops: test message sent");
    const [message] = harness.emulator.store.listMessages({ accessToken: TOKEN });
    expect(JSON.stringify(message?.body)).toContain("dingbot relay 测试消息");
  });

  it("reports a robot DingTalk refuses, without printing its token or secret", async () => {
    const file = writeConfig(dir.dir, config(), "wrong.yaml");
    const result = await runCli(["relay", "check", file, "--send-test"], {
      env: { OPS_SECRET: "SECwrongwrongwrong0123456789", DINGTALK_BASE_URL: harness.url },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("310000");
  });

  it("never printed a token or a secret", () => {
    const output = ALL_OUTPUT.join("\n");
    expect(output.length).toBeGreaterThan(0);
    for (const secret of [TOKEN, SECRET, "SECwrongwrongwrong0123456789"])
      expect(output).not.toContain(secret);
  });
});
