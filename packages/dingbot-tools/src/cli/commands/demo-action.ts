import type { Logger } from "dingbot-sdk";
import { CliFailure, type CliIo, EXIT, errorMessage, untilAborted } from "../io.js";
import { parsePort } from "../parse-flags.js";
import type { DemoFlags } from "./demo-flags.js";

/** Starts the demo, prints the page URL, and keeps everything running until the io's signal aborts. */
export async function runDemo(flags: DemoFlags, io: CliIo): Promise<number> {
  const port = parsePort(flags.port);
  const { startDemo } = await import("../../demo/index.js");
  let demo: Awaited<ReturnType<typeof startDemo>>;
  try {
    demo = await startDemo({ port, host: flags.host, traffic: flags.traffic, logger: stderrLogger(io) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE")
      throw new CliFailure(
        `port ${port} is already in use: try --port 8090 (with npm: npm start -- --port 8090)`,
      );
    throw new CliFailure(`the demo could not start: ${errorMessage(error)}`);
  }
  io.stdout(
    [
      "",
      `  dingbot demo — open the chat page: ${demo.pageUrl}`,
      "",
      ...demo.parts.map((line) => `  ${line}`),
      ...demo.missing.map((line) => `  (not running) ${line}`),
      "",
      "  Try it: pick 运维告警群, choose a person, @问答机器人 and send “markdown”, “feed” or “独立跳转”.",
      `  Or from another shell:  DINGTALK_BASE_URL=${demo.pageUrl.replace(/\/$/, "")} npx dingbot --help`,
      "",
      "  Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  void demo.traffic.then((steps) => {
    const failed = steps.filter((s) => !s.ok);
    io.stderr(`demo: sample traffic sent (${steps.length - failed.length}/${steps.length} steps ok)\n`);
    for (const s of failed) io.stderr(`demo:   failed: ${s.what}: ${s.detail ?? ""}\n`);
  });
  await untilAborted(io.signal);
  io.stderr("demo: stopping…\n");
  await demo.stop();
  io.stderr("demo: stopped\n");
  return EXIT.OK;
}

/** Warnings and errors of the bots and the relay, one line each on stderr; debug and info stay quiet. */
function stderrLogger(io: CliIo): Logger {
  const line = (level: string) => (obj: object, msg?: string) =>
    io.stderr(`demo: ${level}: ${msg ?? ""} ${JSON.stringify(obj)}\n`);
  return { debug: () => {}, info: () => {}, warn: line("warn"), error: line("error") };
}
