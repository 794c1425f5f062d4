// AI cards (issue 13): streaming into DingTalk's AI card against the emulator, each emulator in its own process.
//
//   npm run bench -- cards
//
// 1. Coalescing: a 2,000-chunk answer produced over 10 s (`streamAiCardTo`, default minIntervalMs): streaming
//    calls made (goal ≤ 10 s / minIntervalMs + 2), the final card text equal to the whole source, and the time
//    from the source's end to the finalized card (goal ≤ minIntervalMs + one round trip, the round trip
//    measured in the same run: idle, and during the stream).
// 2. Throttling: 50 concurrent questions to a Bot over Stream mode answering with `ctx.replyStream`, against an
//    emulator whose cardQps is DingTalk's documented 20 calls per app per API per second: lost answers (each
//    must be a finished card or the markdown fallback) and, per answer, the 403s the emulator answered after
//    that answer's first refusal.
// 3. Memory: a 1 MiB answer streamed (child process with --expose-gc): heap and RSS over the baseline, in MiB;
//    and the same answer against the emulator (request bodies capped at 1,000,000 bytes, card data at 262,144):
//    the card's head plus the markdown messages must give back the whole answer.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import {
  AI_CARD_OVERFLOW_NOTE,
  AppClient,
  Bot,
  DEFAULT_STREAM_INTERVAL_MS,
  streamAiCardTo,
  streamTransport,
} from "dingbot-sdk";
import { startCardServer } from "../packages/dingbot/src/client/_card-server.ts";
import { recordGoal } from "./_goals.mjs";

const CARD_QPS = 20; // DingTalk: 20 QPS per app per API for standard organisations (docs/cards.md, Limits)
const CONCURRENT = 50;

/** Starts bench/_cards-emulator.mjs and resolves with the child and what it printed. */
async function spawnEmulator(cardQps, cardDataMaxBytes) {
  const child = spawn(
    process.execPath,
    [
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      new URL("_cards-emulator.mjs", import.meta.url).pathname,
      String(cardQps),
      String(cardDataMaxBytes),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  return { child, ...JSON.parse(line) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
};

/**
 * A fetch that records every card call: path, method, status, start and end time, and the parsed body
 * (outTrackId, guid, isFinalize, content length). Nothing else changes.
 */
function recordingFetch(log) {
  return async (input, init = {}) => {
    const url = new URL(typeof input === "string" ? input : input.url);
    const entry = { path: url.pathname, method: init.method ?? "GET", start: performance.now() };
    if (url.pathname.startsWith("/v1.0/card/") && typeof init.body === "string") {
      const body = JSON.parse(init.body);
      entry.outTrackId = body.outTrackId;
      entry.guid = body.guid;
      entry.isFinalize = body.isFinalize;
      entry.contentLength = typeof body.content === "string" ? body.content.length : undefined;
      entry.flowStatus = body.cardData?.cardParamMap?.flowStatus;
    }
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.end = performance.now();
    log.push(entry);
    return response;
  };
}

async function control(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------------------
// 1. 2,000 chunks over 10 s

async function coalescing(world) {
  const log = [];
  const client = new AppClient({ ...world.app, baseUrl: world.base, fetch: recordingFetch(log) });
  // The round trip, idle: 20 sequential streaming calls into a card of its own (after a warm-up).
  const probe = await client.cards.send({
    templateId: "382e4302-551d-4880-bf29-a30acfab2e71.schema",
    data: { msgContent: "", flowStatus: "2" },
    to: { group: world.group },
  });
  const idle = [];
  for (let i = 0; i < 25; i += 1) {
    const t = performance.now();
    await probe.streamContent("msgContent", `probe ${i}`, { isFinalize: false, isError: false });
    if (i >= 5) idle.push(performance.now() - t);
  }
  log.length = 0;

  const CHUNKS = 2000;
  const DURATION_MS = 10_000;
  const chunk = (i) => (i % 3 === 0 ? `词${i % 10}` : ` tok${i}`);
  const whole = Array.from({ length: CHUNKS }, (_, i) => chunk(i)).join("");
  let sourceEnd = 0;
  const started = performance.now();
  async function* source() {
    for (let i = 0; i < CHUNKS; i += 1) {
      // Paced against the clock: chunk i is due at i × 5 ms, so timer drift does not stretch the 10 s.
      const due = started + (i * DURATION_MS) / CHUNKS;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      yield chunk(i);
    }
    sourceEnd = performance.now();
  }
  const result = await streamAiCardTo(client, { group: world.group }, source(), { title: "2000 chunks" });
  const done = performance.now();
  const streaming = log.filter((e) => e.path === "/v1.0/card/streaming");
  const finalize = streaming.find((e) => e.isFinalize);
  const finished = log.find((e) => e.path === "/v1.0/card/instances" && e.flowStatus === "3");
  const card = await control(world.base, "GET", `/_emulator/cards/${result.outTrackId}`);
  const rttIdle = median(idle);
  const rttDuring = median(streaming.map((e) => e.end - e.start));
  const limit = Math.floor(DURATION_MS / DEFAULT_STREAM_INTERVAL_MS + 2);
  const toFinalized = finalize.end - sourceEnd;
  const toFinished = (finished?.end ?? done) - sourceEnd;
  const rtt = Math.max(rttIdle, rttDuring);
  return {
    via: result.via,
    sourceMs: sourceEnd - started,
    streamingCalls: streaming.length,
    limit,
    callsOk: streaming.length <= limit,
    textEqual: card.cardParamMap.msgContent === whole,
    flowStatus: card.flowStatus,
    rttIdle,
    rttDuring,
    toFinalized,
    toFinished,
    finalizedOk: toFinalized <= DEFAULT_STREAM_INTERVAL_MS + rtt,
    refused: streaming.filter((e) => e.status !== 200).length,
  };
}

// ---------------------------------------------------------------------------------------------------------
// 2. 50 concurrent answers against cardQps 20

async function throttled(world) {
  const log = [];
  const results = new Map();
  const errors = [];
  const bot = new Bot({ ...world.app, baseUrl: world.base, fetch: recordingFetch(log) });
  const answerOf = (k) =>
    Array.from({ length: 40 }, (_, i) => (i === 0 ? `答案 #${k}：` : i % 2 ? ` token${i}` : `词${i}`)).join(
      "",
    );
  bot.on("text", async (ctx) => {
    const k = Number(/#(\d+)/.exec(ctx.text ?? "")?.[1]);
    const text = answerOf(k);
    async function* source() {
      // About 2 s per answer: 40 chunks, 50 ms apart.
      for (const piece of text.match(/答案 #\d+：| token\d+|词\d+/g)) {
        await sleep(50);
        yield piece;
      }
    }
    const t = performance.now();
    const result = await ctx.replyStream(source(), { title: `问题 ${k}` });
    results.set(k, { ...result, ms: performance.now() - t });
  });
  bot.catch((error) => errors.push(error instanceof Error ? error.message : String(error)));
  await bot.start(
    streamTransport({ clientId: world.app.appKey, clientSecret: world.app.appSecret, baseUrl: world.base }),
  );
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT }, (_, k) =>
      control(world.base, "POST", `/_emulator/conversations/${encodeURIComponent(world.group)}/messages`, {
        from: world.userId,
        text: `问题 #${k}`,
        atRobot: world.app.robotCode,
      }),
    ),
  );
  const deadline = Date.now() + 90_000;
  while (results.size + errors.length < CONCURRENT && Date.now() < deadline) await sleep(50);
  const wall = performance.now() - t0;
  await bot.stop();

  // What the emulator holds: finished cards and markdown replies, each checked against the whole answer.
  const cards = await control(
    world.base,
    "GET",
    `/_emulator/cards?conversationId=${encodeURIComponent(world.group)}`,
  );
  const messages = await control(
    world.base,
    "GET",
    `/_emulator/messages?conversationId=${encodeURIComponent(world.group)}`,
  );
  let viaCard = 0;
  let viaMarkdown = 0;
  let lost = 0;
  let both = 0;
  for (let k = 0; k < CONCURRENT; k += 1) {
    const text = answerOf(k);
    const card = cards.some((c) => c.flowStatus === "3" && c.cardParamMap.msgContent === text);
    const markdown = messages.some((m) => m.body?.msgtype === "markdown" && m.body.markdown?.text === text);
    if (card && markdown) both += 1;
    if (card) viaCard += 1;
    else if (markdown) viaMarkdown += 1;
    else lost += 1;
  }
  // Per answer (one outTrackId each, kept across the library's retries): 403s after its first 403.
  const byCard = new Map();
  for (const e of log.filter((x) => x.outTrackId).sort((a, b) => a.start - b.start)) {
    const list = byCard.get(e.outTrackId) ?? [];
    list.push(e);
    byCard.set(e.outTrackId, list);
  }
  const after = [];
  let afterSameGuid = 0;
  let sameBodyRepeats = 0;
  let refusedTotal = 0;
  for (const calls of byCard.values()) {
    const first = calls.findIndex((c) => c.status === 403);
    refusedTotal += calls.filter((c) => c.status === 403).length;
    const later = first < 0 ? [] : calls.slice(first + 1).filter((c) => c.status === 403);
    after.push(later.length);
    const seen = new Set();
    for (const c of calls) {
      if (c.guid && seen.has(c.guid) && c.status === 403 && later.includes(c)) afterSameGuid += 1;
      if (c.guid) seen.add(c.guid);
    }
    // A streaming call repeated with the same guid is the app client's own throttle retry (the streamer
    // sends a fresh guid on each of its attempts).
    const guids = calls.filter((c) => c.guid).map((c) => c.guid);
    sameBodyRepeats += guids.length - new Set(guids).size;
  }
  const cardCalls = log.filter((e) => e.outTrackId);
  const byApi = {};
  for (const e of cardCalls) {
    const key = `${e.method} ${e.path}`;
    byApi[key] ??= { calls: 0, refused: 0 };
    byApi[key].calls += 1;
    if (e.status === 403) byApi[key].refused += 1;
  }
  const ms = [...results.values()].map((r) => r.ms);
  return {
    wall,
    answered: results.size,
    errors,
    viaCard,
    viaMarkdown,
    both,
    lost,
    resultVia: {
      card: [...results.values()].filter((r) => r.via === "card").length,
      markdown: [...results.values()].filter((r) => r.via === "markdown").length,
    },
    cardCalls: cardCalls.length,
    refusedTotal,
    answersRefused: after.filter((_, i) => [...byCard.values()][i].some((c) => c.status === 403)).length,
    after403Total: after.reduce((a, b) => a + b, 0),
    after403Max: Math.max(...after),
    answersWithMore: after.filter((n) => n > 0).length,
    sameGuidRepeats: sameBodyRepeats,
    afterSameGuid,
    refusedAfterFirst403Anywhere: (() => {
      // 403s after the app's very first refusal, whichever answer: what the pacer should bring to 0.
      const sorted = cardCalls.slice().sort((a, b) => a.start - b.start);
      const first = sorted.findIndex((c) => c.status === 403);
      return first < 0 ? 0 : sorted.slice(first + 1).filter((c) => c.status === 403).length;
    })(),
    busiestSecond: (() => {
      // The most card calls of one API answered within any one second (the emulator counts arrivals).
      let most = 0;
      for (const api of new Set(cardCalls.map((c) => c.path))) {
        const ends = cardCalls
          .filter((c) => c.path === api && c.status !== 403)
          .map((c) => c.end)
          .sort((a, b) => a - b);
        for (let i = 0, j = 0; i < ends.length; i += 1) {
          while (ends[i] - ends[j] >= 1000) j += 1;
          most = Math.max(most, i - j + 1);
        }
      }
      return most;
    })(),
    cardStates: cards.reduce((acc, c) => {
      acc[c.flowStatus ?? "?"] = (acc[c.flowStatus ?? "?"] ?? 0) + 1;
      return acc;
    }, {}),
    byApi,
    p50: median(ms),
    p95: pct(ms, 95),
    max: Math.max(...ms),
  };
}

// ---------------------------------------------------------------------------------------------------------
// 3. 1 MiB answer, memory (child process with --expose-gc)

async function memory() {
  const fake = await startCardServer();
  const world = {
    base: fake.base,
    app: { appKey: "dingbenchmem", appSecret: "bench-secret" },
    group: "cidBenchMem==",
  };
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      new URL("_cards-memory.mjs", import.meta.url).pathname,
      JSON.stringify(world),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  await new Promise((resolve) => child.on("exit", resolve));
  const result = JSON.parse(out.trim().split("\n").at(-1));
  const last = fake
    .callsTo("PUT /v1.0/card/streaming")
    .filter((c) => c.body.outTrackId === result.outTrackId)
    .at(-1);
  const content = String(last?.body.content ?? "");
  // The card holds the head (with a note when the answer is longer); the rest went out as markdown messages.
  const head = content.endsWith(AI_CARD_OVERFLOW_NOTE)
    ? content.slice(0, -AI_CARD_OVERFLOW_NOTE.length)
    : content;
  const rest = fake
    .callsTo("POST /v1.0/robot/groupMessages/send")
    .map((c) => JSON.parse(String(c.body.msgParam)).text)
    .join("");
  result.textEqual =
    last?.body.isFinalize === true &&
    createHash("sha256")
      .update(head + rest)
      .digest("hex") === result.sha256;
  result.cardChars = head.length;
  result.messages = fake.callsTo("POST /v1.0/robot/groupMessages/send").length;
  result.finalBytes = last?.bytes;
  await fake.close();
  return result;
}

/** What a 1 MiB answer becomes against the emulator (its request bodies are capped at 1,000,000 bytes). */
async function oneMibAgainstEmulator(world) {
  const log = [];
  const client = new AppClient({ ...world.app, baseUrl: world.base, fetch: recordingFetch(log) });
  const whole = "x".repeat(1024 * 1024);
  const calls = () => {
    // Consecutive calls of the same route and status are counted, not listed one by one.
    const out = [];
    for (const e of log) {
      const name = `${e.method} ${e.path} ${e.status}`;
      const lastOne = out.at(-1);
      if (lastOne?.name === name) lastOne.n += 1;
      else out.push({ name, n: 1 });
    }
    return out.map((c) => (c.n > 1 ? `${c.name} ×${c.n}` : c.name));
  };
  try {
    const result = await streamAiCardTo(
      client,
      { group: world.group },
      [whole.slice(0, 512 * 1024), whole.slice(512 * 1024)],
      {
        retry: { retries: 0 },
      },
    );
    const card = await control(world.base, "GET", `/_emulator/cards/${result.outTrackId}`);
    const content = card.cardParamMap.msgContent;
    const head = content.endsWith(AI_CARD_OVERFLOW_NOTE)
      ? content.slice(0, -AI_CARD_OVERFLOW_NOTE.length)
      : content;
    const messages = await control(
      world.base,
      "GET",
      `/_emulator/messages?conversationId=${encodeURIComponent(world.group)}`,
    );
    const rest = messages
      .filter((m) => m.body?.msgtype === "markdown" && m.body.markdown?.title?.startsWith("回复"))
      .map((m) => m.body.markdown.text)
      .join("");
    return {
      outcome: `via ${result.via}, card flowStatus ${card.flowStatus} holding ${head.length} characters, ${result.messages} markdown messages; card + messages = the whole answer: ${head + rest === whole}`,
      calls: calls(),
    };
  } catch (error) {
    return {
      outcome: `threw: ${error instanceof Error ? error.message : String(error)}`,
      calls: calls(),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------

const cpu = cpus()[0]?.model ?? "?";
console.log(
  `machine: ${cpus().length} cores (${cpu}), Node ${process.version}, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}, /proc/loadavg ${safeLoadavg()}`,
);
const bench1 = Date.now();

const open = await spawnEmulator(1_000_000, 8 * 1024 * 1024);
try {
  const r = await coalescing(open);
  console.log("\n1. 2,000 chunks over 10 s, minIntervalMs", DEFAULT_STREAM_INTERVAL_MS);
  console.log(`   answered via ${r.via}; source took ${r.sourceMs.toFixed(0)} ms`);
  console.log(
    `   streaming calls ${r.streamingCalls} (goal ≤ ${r.limit}: ${r.callsOk ? "met" : "MISSED"}), refused ${r.refused}`,
  );
  console.log(`   card text equal to the source: ${r.textEqual}, flowStatus ${r.flowStatus}`);
  console.log(
    `   round trip: idle median ${r.rttIdle.toFixed(1)} ms, during the stream median ${r.rttDuring.toFixed(1)} ms`,
  );
  console.log(
    `   source end → finalizing streaming call answered: ${r.toFinalized.toFixed(0)} ms (goal ≤ ${DEFAULT_STREAM_INTERVAL_MS} + rtt: ${r.finalizedOk ? "met" : "MISSED"}); → flowStatus 3 answered: ${r.toFinished.toFixed(0)} ms`,
  );
  recordGoal({
    bench: "cards",
    id: "coalescing-calls",
    issue: 13,
    figure: "2,000-chunk answer over 10 s: streaming calls",
    value: r.streamingCalls,
    unit: "",
    goal: { op: "<=", target: r.limit, text: `≤ 10 s / ${DEFAULT_STREAM_INTERVAL_MS} ms + 2 = ${r.limit}` },
    detail: `card text equal to the source: ${r.textEqual}, flowStatus ${r.flowStatus}, refused ${r.refused}`,
  });
  const rtt = Math.max(r.rttIdle, r.rttDuring);
  recordGoal({
    bench: "cards",
    id: "coalescing-finalized",
    issue: 13,
    figure: "2,000-chunk answer: source end → finalizing streaming call answered",
    value: Math.round(r.toFinalized),
    unit: "ms",
    goal: {
      op: "<=",
      target: Math.round(DEFAULT_STREAM_INTERVAL_MS + rtt),
      text: `≤ ${DEFAULT_STREAM_INTERVAL_MS} ms + one round trip (${rtt.toFixed(1)} ms)`,
    },
    detail: `→ flowStatus 3 answered ${r.toFinished.toFixed(0)} ms; round trip idle ${r.rttIdle.toFixed(1)} ms, during ${r.rttDuring.toFixed(1)} ms`,
  });

  const m = await memory();
  console.log("\n3. a 1 MiB answer (1,024 chunks of 1 KiB, 1 ms apart)");
  console.log(
    `   answered via ${m.via}, ${m.requests} streaming requests; the card holds ${m.cardChars} characters, ${m.messages} markdown messages the rest; card + messages = the source: ${m.textEqual}`,
  );
  console.log(
    `   peak over baseline: heapUsed ${m.heapPeak.toFixed(2)} MiB, heap+external ${m.heapExtPeak.toFixed(2)} MiB, rss ${m.rssPeak.toFixed(2)} MiB`,
  );
  console.log(
    `   live (gc'd) as each streaming request leaves: max ${m.liveMax.toFixed(2)} MiB over baseline, at the finalizing one ${m.liveLast.toFixed(2)} MiB`,
  );
  console.log(`   after, gc'd: heapUsed ${m.heapAfter.toFixed(2)} MiB over baseline`);
  console.log(
    `   (the source string itself, 1 MiB, is in the baseline; final request body ${m.finalBytes} bytes)`,
  );
  recordGoal({
    bench: "cards",
    id: "one-mib-live-copies",
    issue: 13,
    figure:
      "1 MiB answer: live copies (MiB over the baseline, after gc) as each streaming request leaves, max",
    value: Number(m.liveMax.toFixed(2)),
    unit: "",
    goal: { op: "<=", target: 3, text: "a few copies (≤ 3)" },
    detail: `card holds ${m.cardChars} characters, ${m.messages} markdown messages the rest; card + messages = the answer: ${m.textEqual}`,
  });
  const e = await oneMibAgainstEmulator(open);
  console.log(`   the same 1 MiB answer against the emulator: ${e.outcome}`);
  console.log(`     calls: ${e.calls.join(", ")}`);
} finally {
  open.child.stdin.end();
}

const limited = await spawnEmulator(CARD_QPS, 262_144);
try {
  const r = await throttled(limited);
  console.log(
    `\n2. ${CONCURRENT} concurrent answers (Bot over Stream, ctx.replyStream), emulator cardQps ${CARD_QPS}`,
  );
  console.log(
    `   answered ${r.answered}/${CONCURRENT} in ${(r.wall / 1000).toFixed(1)} s (per answer p50 ${(r.p50 / 1000).toFixed(1)} s, p95 ${(r.p95 / 1000).toFixed(1)} s, max ${(r.max / 1000).toFixed(1)} s); handler errors ${r.errors.length}${r.errors.length ? `: ${r.errors[0]}` : ""}`,
  );
  console.log(
    `   finished cards ${r.viaCard}, markdown fallbacks ${r.viaMarkdown} (both ${r.both}), lost ${r.lost} (goal 0: ${r.lost === 0 ? "met" : "MISSED"}); replyStream said card ${r.resultVia.card}, markdown ${r.resultVia.markdown}`,
  );
  console.log(
    `   card calls ${r.cardCalls}, refused 403 ${r.refusedTotal}; answers refused at least once ${r.answersRefused}`,
  );
  console.log(
    `   403s after an answer's first refusal: total ${r.after403Total}, max per answer ${r.after403Max}, answers with any ${r.answersWithMore} (goal 0: ${r.after403Total === 0 ? "met" : "MISSED"})`,
  );
  console.log(
    `   streaming calls repeated with the same guid (the app client's own throttle retry): ${r.sameGuidRepeats}; of the 403s after a first refusal, ${r.afterSameGuid} were such repeats`,
  );
  console.log(`   403s after the app's first refusal (any answer): ${r.refusedAfterFirst403Anywhere}`);
  console.log(
    `   most accepted calls of one API answered within one second: ${r.busiestSecond} (cardQps ${CARD_QPS})`,
  );
  console.log(`   cards in the emulator by flowStatus: ${JSON.stringify(r.cardStates)}`);
  for (const [api, v] of Object.entries(r.byApi))
    console.log(`     ${api}: ${v.calls} calls, ${v.refused} refused`);
  recordGoal({
    bench: "cards",
    id: "throttled-lost",
    issue: 13,
    figure: `${CONCURRENT} concurrent answers at the emulator's card QPS (${CARD_QPS}/s per app and API): lost answers`,
    value: r.lost,
    unit: "",
    goal: { op: "==", target: 0 },
    detail: `finished cards ${r.viaCard}, markdown fallbacks ${r.viaMarkdown}; all answered in ${(r.wall / 1000).toFixed(1)} s`,
  });
  recordGoal({
    bench: "cards",
    id: "throttled-403-after-refusal",
    issue: 13,
    figure: "the same: 403s after an answer's first refusal",
    value: r.after403Total,
    unit: "",
    goal: { op: "==", target: 0 },
    detail: `card calls ${r.cardCalls}, refused ${r.refusedTotal} in all`,
  });
} finally {
  limited.child.stdin.end();
}
console.log(`\ntotal ${((Date.now() - bench1) / 1000).toFixed(1)} s`);

function safeLoadavg() {
  try {
    return readFileSync("/proc/loadavg", "utf8").trim();
  } catch {
    return "n/a";
  }
}
