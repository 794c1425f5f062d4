/**
 * `dingbot relay check` (config, templates, --send-test) run as the real CLI from source, against the
 * emulator; nothing it prints may contain a token or a secret.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { loadRelayConfig, openStore } from "dingbot-tools/relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_OUTPUT, runCli } from "../helpers/cli.js";
import {
  type EmulatorHarness,
  outboxEntry,
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

/** A TCP server holding a port on 127.0.0.1, as a first relay would. */
function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : 0 });
    });
  });
}

describe("dingbot relay", () => {
  it("refuses to start on a bad config with exit code 2, naming the key and the line", async () => {
    const file = writeConfig(dir.dir, config(), "start-unset.yaml");
    const result = await runCli(["relay", "--config", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${file}:4: robots.ops.secret: environment variable OPS_SECRET is not set`,
    );
  });

  it("exits 1 when its port is in use, without sending anything from the outbox", async () => {
    const file = writeConfig(
      dir.dir,
      config().replace("./relay.db", "./busy.db").replace("store:", `baseUrl: ${harness.url}\nstore:`),
      "busy.yaml",
    );
    // An entry already queued: a relay that did not listen must leave it to the relay that does.
    const store = await openStore(loadRelayConfig(file, { OPS_SECRET: SECRET }));
    await store.enqueue([outboxEntry("Queued")]);
    await store.close();
    const before = harness.emulator.store.listMessages({ accessToken: TOKEN }).length;
    const { server, port } = await occupy();
    try {
      // The file as a positional argument, as `relay check FILE` takes it.
      const result = await runCli(["relay", file, "--port", String(port)], { env: { OPS_SECRET: SECRET } });
      expect(result.stderr).toContain(`port ${port} in use (try --port)`);
      expect(result.code).toBe(1);
    } finally {
      server.close();
    }
    expect(harness.emulator.store.listMessages({ accessToken: TOKEN })).toHaveLength(before);
    const after = await openStore(loadRelayConfig(file, { OPS_SECRET: SECRET }));
    expect(await after.depth("ops")).toBe(1);
    await after.close();
  });

  it("refuses two different config files", async () => {
    const result = await runCli(["relay", "a.yaml", "--config", "b.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("two config files: a.yaml and --config b.yaml");
  });
});

describe("dingbot relay dlq", () => {
  it("lists dead letters without the robots' secrets in the environment", async () => {
    const file = writeConfig(dir.dir, config(), "dlq.yaml");
    const result = await runCli(["relay", "dlq", "list", "--config", file]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("no dead letters\n");
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

  it("takes the file with --config too", async () => {
    const file = writeConfig(dir.dir, config(), "option.yaml");
    const result = await runCli(["relay", "check", "--config", file], { env: { OPS_SECRET: SECRET } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${file}: ok (1 robots, 1 routes, templates compiled)`);
  });

  it("warns about a route without auth when the relay listens beyond loopback", async () => {
    const open = config(
      `  - { path: /secured, source: alertmanager, robots: [ops], auth: { bearer: "\${RELAY_TOKEN}" } }\nlisten: { host: 0.0.0.0 }`,
    );
    const file = writeConfig(dir.dir, open, "open.yaml");
    const result = await runCli(["relay", "check", file], {
      env: { OPS_SECRET: SECRET, RELAY_TOKEN: "relay-token-value" },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "warning: route /alertmanager has no auth and the relay listens on 0.0.0.0",
    );
    expect(result.stderr).not.toContain("/secured");
    const closed = writeConfig(dir.dir, config(), "closed.yaml");
    expect((await runCli(["relay", "check", closed], { env: { OPS_SECRET: SECRET } })).stderr).toBe("");
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
    for (const secret of [TOKEN, SECRET, "SECwrongwrongwrong0123456789", "relay-token-value"])
      expect(output).not.toContain(secret);
  });
});
