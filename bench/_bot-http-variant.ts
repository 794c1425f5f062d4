// One server of bench/_bot-http-parts.mjs, in its own process; prints "… at http://127.0.0.1:PORT" on stderr.
//   glue                    dingbot's node:http listener (listenHttp) around a handler that only reads the
//                           body and answers the bench's fixed reply: the adapter's own cost
//   bot [nolog] [noreplay]  examples/answer-bot.ts behind httpServerTransport, as `dingbot serve` runs it
//                           (the CLI's logger, lines written to stdout), optionally without the per-callback
//                           log line or without the replay guard, to price each
import { writeSync } from "node:fs";
import { httpServerTransport } from "dingbot-sdk/bot";
import bot from "../examples/answer-bot.js";
import { listenHttp } from "../packages/dingbot/src/bot/transports/http-node.js";
import { createCliLogger } from "../packages/dingbot-tools/src/cli/commands/bot-logger.js";

const [kind, ...flags] = process.argv.slice(2);
const SECRET = process.env.BENCH_SECRET ?? "";
const REPLY = JSON.stringify({
  msgtype: "text",
  text: { content: "你剛剛發的消息是:[text]\n@user123" },
  at: { atUserIds: ["user123"], isAtAll: false },
});

let url: string;
if (kind === "glue") {
  const server = await listenHttp(
    async (call) => {
      await call.readBody(256 * 1024);
      return { status: 200, body: REPLY };
    },
    0,
    "127.0.0.1",
  );
  url = server.url;
} else {
  const logger = flags.includes("nolog")
    ? undefined
    : createCliLogger((text) => writeSync(1, text), "info", [SECRET]);
  const transport = httpServerTransport({
    appSecret: SECRET,
    port: 0,
    host: "127.0.0.1",
    ...(flags.includes("noreplay") ? { replay: false as const } : {}),
    ...(logger ? { logger } : {}),
  });
  await bot.start(transport);
  url = transport.url ?? "";
}
process.stderr.write(`${[kind, ...flags].join("+")} at ${url}\n`);
process.on("SIGTERM", () => process.exit(0));
