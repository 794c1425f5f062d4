// Child process of bench/relay.mjs: serves either a bare node:http baseline or the relay (SQLite, durable
// commit) on 127.0.0.1:0, prints its URL on stdout, and exits when stdin closes.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelay, parseRelayConfig } from "dingbot-tools/relay";

const kind = process.argv[2];
let close;
if (kind === "bare") {
  const bare = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"accepted"}');
    });
  });
  await new Promise((resolve) => bare.listen(0, "127.0.0.1", resolve));
  process.stdout.write(`http://127.0.0.1:${bare.address().port}\n`);
  close = async () => bare.close();
} else {
  const dir = mkdtempSync(join(tmpdir(), "bench-relay-ingest-"));
  // The robot points at a closed port: nothing is delivered, so only ingest is measured (after 20 failed
  // attempts the scheduler waits on its rate window and never reads the growing outbox).
  const config = parseRelayConfig(
    `store: { sqlite: ${dir}/ingest.db }
baseUrl: http://127.0.0.1:9
robots: { ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=bench" } }
routes: [{ path: /alertmanager, source: alertmanager, robots: [ops] }]`,
    join(dir, "relay.yaml"),
    {},
  );
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const relay = await createRelay(config, { logger: quiet });
  process.stdout.write(`${await relay.start(0)}\n`);
  close = async () => {
    process.stderr.write(`committed entries: ${await relay.store.depth("ops")}\n`);
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
process.stdin.resume();
process.stdin.on("end", async () => {
  await close();
  process.exit(0);
});
