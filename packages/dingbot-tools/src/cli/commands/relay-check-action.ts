import { CliFailure, type CliIo, EXIT } from "../io.js";
import { loadConfigForCli } from "./relay-action.js";
import type { RelayCheckFlags } from "./relay-flags.js";

/** Validates config and templates; with --send-test, sends one test message to each robot. */
export async function runRelayCheck(file: string, flags: RelayCheckFlags, io: CliIo): Promise<number> {
  const config = await loadConfigForCli(file, io);
  const relayModule = await import("../../relay/index.js");
  const { authWarnings, compileRouteTemplates, createWebhookSender, TemplateError } = relayModule;
  try {
    compileRouteTemplates(config);
  } catch (error) {
    if (error instanceof TemplateError) throw new CliFailure(error.message);
    throw error;
  }
  io.stdout(
    `${file}: ok (${config.robots.size} robots, ${config.routes.length} routes, templates compiled)\n`,
  );
  // Warnings, not errors: a relay behind a proxy that authenticates may rightly listen on 0.0.0.0.
  for (const warning of authWarnings(config)) io.stderr(`warning: ${warning}\n`);
  if (!flags.sendTest) return EXIT.OK;
  const { messages } = await import("dingbot-sdk");
  const sender = createWebhookSender(config.robots, {
    ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
    env: io.env,
    fetch: io.fetch,
    timeoutMs: config.limits.requestTimeoutMs,
  });
  let failed = 0;
  for (const robot of config.robots.keys()) {
    const body = messages.markdown(
      "dingbot relay 测试消息",
      `### ✅ dingbot relay 测试消息\n\n机器人 **${robot}** 配置正确，告警将发送到这里。\n\nThe relay can post to robot **${robot}**.`,
    );
    try {
      await sender.send(robot, body);
      io.stdout(`${robot}: test message sent\n`);
    } catch (error) {
      failed += 1;
      io.stderr(`${robot}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  return failed === 0 ? EXIT.OK : EXIT.FAILURE;
}
