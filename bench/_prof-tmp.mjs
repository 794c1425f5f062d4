import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { createRelay, parseRelayConfig } from "dingbot-tools/relay";
const dir = mkdtempSync(join(tmpdir(), "prof-relay-"));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const config = parseRelayConfig(`store: { sqlite: ${dir}/ingest.db }
baseUrl: http://127.0.0.1:9
robots: { ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=bench" } }
routes: [{ path: /alertmanager, source: alertmanager, robots: [ops] }]`, join(dir, "relay.yaml"), {});
const relay = await createRelay(config, { logger: quiet });
const url = await relay.start(0);
const body = JSON.stringify({version:"4",status:"firing",receiver:"x",groupLabels:{},commonLabels:{},commonAnnotations:{},externalURL:"",alerts:[{status:"firing",labels:{alertname:"A",severity:"critical"},annotations:{summary:"s"},startsAt:"2026-11-26T02:00:00Z",endsAt:"0001-01-01T00:00:00Z",generatorURL:"http://x"}]});
const mode = process.argv[2];
if (mode === "inproc") {
  const t = performance.now(); let n = 0;
  while (performance.now() - t < 3000) { await relay.app.request("/alertmanager", { method: "POST", body }); n++; }
  console.log("in-process app.request per s", (n / 3).toFixed(0));
} else {
  const r = await autocannon({ url: `${url}/alertmanager`, method: "POST", body, connections: 20, duration: 4 });
  console.log("rps", r.requests.average, "p99", r.latency.p99);
}
await relay.stop();
