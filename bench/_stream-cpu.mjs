// Client-side processing per frame without sockets, for bench/stream.mjs: the same CALLBACK frames are fed
// to a dingbot Bot on streamTransport() (through an injected fake WebSocket) and to the official DWClient
// (through its onDownStream(), with a fake socket), with the same trivial handler. Prints µs of CPU per
// frame for each, interleaved rounds. Run in its own process so JIT state is not shared.
import { EventEmitter } from "node:events";
import { Bot, streamTransport } from "dingbot-sdk";
import { DWClient, TOPIC_ROBOT } from "dingtalk-stream";

const FRAMES = Number(process.env.BENCH_CPU_FRAMES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function frames(prefix) {
  return Array.from({ length: FRAMES }, (_, i) => {
    const body = {
      msgtype: "text",
      text: { content: `bench ${i}` },
      msgId: `msg${prefix}${i}`,
      createAt: 1_700_000_000_000,
      conversationType: "1",
      conversationId: "cidBench==",
      senderId: "$:LWCP_v1:$bench",
      senderNick: "压测",
      senderStaffId: "user001",
      sessionWebhook: `http://127.0.0.1:1/robot/sendBySession?session=${i}`,
      sessionWebhookExpiredTime: 1_700_005_400_000,
      chatbotUserId: "$:LWCP_v1:$robot",
      robotCode: "dingbench",
    };
    const frame = {
      specVersion: "1.0",
      type: "CALLBACK",
      headers: {
        appId: "a",
        contentType: "application/json",
        messageId: `${prefix}_${i}`,
        time: "1",
        topic: TOPIC_ROBOT,
      },
      data: JSON.stringify(body),
    };
    return Buffer.from(JSON.stringify(frame));
  });
}

let sent = 0;
class FakeSocket extends EventEmitter {
  CONNECTING = 0;
  OPEN = 1;
  CLOSED = 3;
  readyState = 1;
  constructor() {
    super();
    FakeSocket.last = this;
    queueMicrotask(() => this.emit("open"));
  }
  send() {
    sent += 1;
  }
  ping() {}
  close() {
    this.readyState = 3;
    queueMicrotask(() => this.emit("close", 1000));
  }
  terminate() {
    this.close();
  }
}

async function dingbotCost(round) {
  let handled = 0;
  // The default Bot: its msgId de-duplication on, as users run it (the transport de-duplicates too).
  const bot = new Bot();
  bot.on("text", () => {
    handled += 1;
  });
  await bot.start(
    streamTransport({
      clientId: "k",
      clientSecret: "s",
      baseUrl: "http://127.0.0.1:1",
      WebSocket: FakeSocket,
      fetch: async () => Response.json({ endpoint: "ws://127.0.0.1:1/connect", ticket: "t" }),
    }),
  );
  const input = frames(`d${round}`);
  const socket = FakeSocket.last;
  const cpu = process.cpuUsage();
  // Frames arrive in socket reads of a few dozen; let the handlers' promises settle between reads.
  for (let i = 0; i < input.length; i += 1) {
    socket.emit("message", input[i], false);
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  await bot.stop();
  if (handled !== FRAMES) throw new Error(`dingbot handled ${handled}`);
  return (used.user + used.system) / FRAMES;
}

async function officialCost(round) {
  let handled = 0;
  const client = new DWClient({ clientId: "k", clientSecret: "s" });
  client.socket = { send: () => (sent += 1) };
  client.registerCallbackListener(TOPIC_ROBOT, (res) => {
    const message = JSON.parse(res.data);
    if (message.msgtype === "text") handled += 1;
    client.socketCallBackResponse(res.headers.messageId, null);
  });
  const input = frames(`o${round}`);
  const cpu = process.cpuUsage();
  for (let i = 0; i < input.length; i += 1) {
    client.onDownStream(input[i]);
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(cpu);
  if (handled !== FRAMES) throw new Error(`official handled ${handled}`);
  return (used.user + used.system) / FRAMES;
}

const results = { dingbot: [], official: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  results.dingbot.push(await dingbotCost(round));
  results.official.push(await officialCost(round));
}
process.stdout.write(`${JSON.stringify(results)}\n`);
