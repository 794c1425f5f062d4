/**
 * The demo's relay: the real `createRelay` with a demo config (written to a temporary directory, with its
 * SQLite outbox next to it) that posts alerts and GitHub events to the demo's custom robots in the emulator.
 * @module
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "dingbot-sdk";
import { createRelay, parseRelayConfig } from "../relay/index.js";
import type { DemoWorld } from "./world.js";

/** The GitHub webhook secret of the demo's /github route (the generator signs with it). */
export const DEMO_GITHUB_SECRET = "demo-github-webhook-secret";

/** A running demo relay. */
export interface DemoRelay {
  url: string;
  /** Path of the config it runs with (shown in the banner, so users can copy it). */
  configFile: string;
  stop(): Promise<void>;
}

/** The demo's relay.yaml. Secrets come through `${VAR}` substitution, as they should in a real config. */
export function demoRelayConfig(emulatorUrl: string, world: DemoWorld, dbFile: string): string {
  const webhook = (token: string) => `${emulatorUrl}/robot/send?access_token=${token}`;
  return [
    "# dingbot demo relay: Alertmanager and GitHub into the emulator's groups.",
    `listen: { host: 127.0.0.1, port: 0 }`,
    `store: { sqlite: ${JSON.stringify(dbFile)} }`,
    "log: { level: warn }",
    "robots:",
    `  ops: { webhook: ${JSON.stringify(webhook(world.alertRobot.accessToken))}, secret: "\${DEMO_ALERT_SECRET}" }`,
    `  dev: { webhook: ${JSON.stringify(webhook(world.githubRobot.accessToken))}, keywords: [GitHub] }`,
    "routes:",
    `  - { path: /alertmanager, source: alertmanager, robots: [ops], atMobiles: [${JSON.stringify(world.zhang.mobile)}] }`,
    `  - { path: /github, source: github, robots: [dev], secret: "\${DEMO_GITHUB_SECRET}" }`,
    "",
  ].join("\n");
}

/** Starts the relay on a free port. The temporary directory is removed on stop. */
export async function startDemoRelay(
  emulatorUrl: string,
  world: DemoWorld,
  host: string,
  logger: Logger,
): Promise<DemoRelay> {
  const dir = await mkdtemp(join(tmpdir(), "dingbot-demo-"));
  try {
    const configFile = join(dir, "relay.yaml");
    const text = demoRelayConfig(emulatorUrl, world, join(dir, "relay.db"));
    await writeFile(configFile, text, "utf8");
    const env = { DEMO_ALERT_SECRET: world.alertRobot.secret ?? "", DEMO_GITHUB_SECRET };
    const config = parseRelayConfig(text, configFile, env);
    const relay = await createRelay(config, { env: { DINGTALK_BASE_URL: emulatorUrl }, logger });
    const url = await relay.start(0, host);
    return {
      url,
      configFile,
      stop: async () => {
        try {
          await relay.stop();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
