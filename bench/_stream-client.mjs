// A Stream client in its own process for bench/stream.mjs: either a dingbot Bot on streamTransport, or the
// official dingtalk-stream DWClient (getEndpoint patched to the emulator, protocol 3.8 option 1). Both run
// the same trivial handler: parse the message, count it. The parent drives it over IPC.
import { Bot, streamTransport } from "dingbot-sdk";
import { DWClient, TOPIC_ROBOT } from "dingtalk-stream";

const [kind] = process.argv.slice(2);
const { BENCH_BASE_URL: baseUrl, BENCH_APP_KEY: clientId, BENCH_APP_SECRET: clientSecret } = process.env;
let handled = 0;
const cpuAtStart = process.cpuUsage();

async function startPlain() {
  const transport = streamTransport({ clientId, clientSecret, baseUrl });
  await transport.start(async (update) => {
    if (update.message.msgtype === "text") handled += 1;
  }, new AbortController().signal);
}

async function startDingbot() {
  // The default Bot: its msgId de-duplication on, as users run it (the transport de-duplicates too).
  const bot = new Bot({ baseUrl });
  bot.on("text", () => {
    handled += 1;
  });
  await bot.start(streamTransport({ clientId, clientSecret, baseUrl }));
}

async function startOfficial() {
  // The SDK logs "connect success" and errors with console.*; keep the parent's output readable.
  console.info = () => {};
  console.warn = () => {};
  const client = new DWClient({ clientId, clientSecret });
  client.getEndpoint = async function getEndpoint() {
    const response = await fetch(`${baseUrl}/v1.0/gateway/connections/open`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ clientId, clientSecret, ua: "", subscriptions: this.config.subscriptions }),
    });
    const answer = await response.json();
    this.config.endpoint = answer;
    this.dw_url = `${answer.endpoint}?ticket=${answer.ticket}`;
    return this;
  };
  client.registerCallbackListener(TOPIC_ROBOT, (res) => {
    const message = JSON.parse(res.data);
    if (message.msgtype === "text") handled += 1;
    client.socketCallBackResponse(res.headers.messageId, null);
  });
  await client.connect();
}

await (kind === "official" ? startOfficial() : kind === "plain" ? startPlain() : startDingbot());
process.on("message", (msg) => {
  if (msg === "stats") process.send({ handled, cpu: process.cpuUsage(cpuAtStart) });
  if (msg === "exit") process.exit(0);
});
process.send("ready");
