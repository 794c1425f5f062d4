// Issue 6: 1,000 concurrent work-notification sends through AppClient from a cold token cache, against
// 1,000 raw fetch calls with a token fetched beforehand (the baseline), interleaved in one run. Reports the
// token requests the client made (goal: exactly 1 per cold run) and throughput of both, with the ratio.
// The emulator runs in a child process (this same file with APP_API_BENCH_CHILD=1) on a loopback port.
// Run: npm run bench -- app-api   (env BENCH_ROUNDS, default 5; BENCH_SENDS, default 1000)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const APP_KEY = "dingbenchapp";
const APP_SECRET = "bench-app-secret-0123456789abcdef";
const AGENT_ID = 424242;
const USERS = 50;

if (process.env.APP_API_BENCH_CHILD === "1") {
  const { createEmulator } = await import("dingbot-tools/emulator");
  const emulator = createEmulator({ notificationDelayMs: 300 });
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: AGENT_ID });
  for (let i = 0; i < USERS; i += 1)
    emulator.store.createUser({ userId: `u${i}`, mobile: `1380000${String(i).padStart(4, "0")}` });
  // Nothing reads the log during the bench; keep memory flat.
  emulator.store.events.on("message", () => {
    if (emulator.store.messages.length > 20_000) emulator.store.messages.splice(0, 10_000);
  });
  const base = await emulator.listen(0);
  process.stdout.write(`${JSON.stringify({ base })}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await emulator.close();
    process.exit(0);
  });
} else {
  await main();
}

async function main() {
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
  const SENDS = Number(process.env.BENCH_SENDS ?? 1000);
  const { AppClient, workMessages } = await import("dingbot-sdk/client");
  // 1,000 sends are in flight at once, over at most 128 sockets for both contenders: 1,000 simultaneous
  // connects overflow the server's listen backlog (511) and fail with "other side closed".
  const { Agent, setGlobalDispatcher } = await import("undici");
  setGlobalDispatcher(new Agent({ connections: 128 }));
  const child = spawn(
    process.execPath,
    ["--conditions=dingbot:source", "--import", "tsx", new URL(import.meta.url).pathname],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, APP_API_BENCH_CHILD: "1" },
    },
  );
  const { base } = JSON.parse(
    await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve)),
  );
  let tag = 0;
  const text = () => `bench message ${tag++}`;

  /** AppClient from a cold cache: returns the token requests it made. */
  async function viaClient() {
    let tokenRequests = 0;
    const counting = (input, init) => {
      if (String(input).includes("/gettoken")) tokenRequests += 1;
      return fetch(input, init);
    };
    const client = new AppClient({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      agentId: AGENT_ID,
      baseUrl: base,
      fetch: counting,
      env: {},
    });
    const results = await Promise.all(
      Array.from({ length: SENDS }, (_, i) =>
        client.workNotifications.send({ userIds: [`u${i % USERS}`] }, workMessages.text(text())),
      ),
    );
    if (results.length !== SENDS || results.some((r) => !Number.isInteger(r.taskId)))
      throw new Error("a client send failed");
    return tokenRequests;
  }

  /** Raw fetch with a token fetched before the clock starts (not timed). */
  async function rawToken() {
    const answer = await (await fetch(`${base}/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`)).json();
    return answer.access_token;
  }
  async function viaFetch(token) {
    const url = `${base}/topapi/message/corpconversation/asyncsend_v2?access_token=${token}`;
    const results = await Promise.all(
      Array.from({ length: SENDS }, async (_, i) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            agent_id: AGENT_ID,
            userid_list: `u${i % USERS}`,
            msg: { msgtype: "text", text: { content: text() } },
          }),
        });
        return response.json();
      }),
    );
    if (results.some((r) => r.errcode !== 0)) throw new Error("a raw send failed");
  }

  const steal = () => {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: cpu.reduce((a, b) => a + b, 0), steal: cpu[7] ?? 0 };
  };
  const timed = async (fn) => {
    const s0 = steal();
    const t0 = performance.now();
    const value = await fn();
    const ms = performance.now() - t0;
    const s1 = steal();
    return { ms, value, stealPct: (100 * (s1.steal - s0.steal)) / Math.max(1, s1.total - s0.total) };
  };

  // Warm-up: JIT, sockets, the emulator's first routes.
  await viaClient();
  await viaFetch(await rawToken());

  const rows = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const token = await rawToken();
    const order = round % 2 === 0 ? ["client", "fetch"] : ["fetch", "client"];
    const row = { round: round + 1 };
    for (const which of order) {
      const r = which === "client" ? await timed(viaClient) : await timed(() => viaFetch(token));
      row[which] = {
        perSecond: Math.round((SENDS * 1000) / r.ms),
        ms: Math.round(r.ms),
        stealPct: Number(r.stealPct.toFixed(1)),
      };
      if (which === "client") row.tokenRequests = r.value;
    }
    row.ratio = Number((row.client.perSecond / row.fetch.perSecond).toFixed(2));
    rows.push(row);
    console.log(
      `round ${row.round}: client ${row.client.perSecond}/s (token requests ${row.tokenRequests}, steal ${row.client.stealPct}%)  ` +
        `raw fetch ${row.fetch.perSecond}/s (steal ${row.fetch.stealPct}%)  ratio ${row.ratio}`,
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    JSON.stringify({
      sends: SENDS,
      rounds: ROUNDS,
      tokenRequestsPerColdRun: [...new Set(rows.map((r) => r.tokenRequests))],
      clientMedianPerSecond: median(rows.map((r) => r.client.perSecond)),
      fetchMedianPerSecond: median(rows.map((r) => r.fetch.perSecond)),
      medianRatio: median(rows.map((r) => r.ratio)),
    }),
  );
  const { recordGoal } = await import("./_goals.mjs");
  const counts = rows.map((r) => r.tokenRequests);
  recordGoal({
    bench: "app-api",
    id: "token-requests-cold",
    issue: 6,
    figure: `token requests for ${SENDS.toLocaleString("en-US")} concurrent cold sends (the worst round)`,
    value: counts.find((n) => n !== 1) ?? 1,
    unit: "",
    goal: { op: "==", target: 1 },
    detail: `by round: ${counts.join(", ")}`,
  });
  recordGoal({
    bench: "app-api",
    id: "sends-vs-raw-fetch",
    issue: 6,
    figure: "work-notification sends/s vs raw `fetch` with a pre-fetched token (median of rounds)",
    value: median(rows.map((r) => r.ratio)),
    unit: "×",
    detail: `by round: ${rows.map((r) => r.ratio).join(", ")}`,
  });
  child.stdin.end();
  if (rows.some((r) => r.tokenRequests !== 1)) {
    console.error("FAIL: a cold run made more than one token request");
    process.exitCode = 1;
  }
}
