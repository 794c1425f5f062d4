// Child process of bench/cards.mjs (run with --expose-gc): streams a 1 MiB answer into the AI card of the
// card server whose address is argv[2] (the library's test fake: the emulator refuses request bodies over
// 1,000,000 bytes, as the rest of its API does) and prints, as one JSON line, the peak heap, heap+external and RSS over
// the baseline taken before (with the source text already built), in MiB.
import { createHash } from "node:crypto";
import { AppClient, streamAiCardTo } from "dingbot-sdk";

const world = JSON.parse(process.argv[2]);
const MiB = 1024 * 1024;
const CHUNK = 1024;
// The source: 1 MiB of ASCII text (one byte per character in V8 and in UTF-8), built before the baseline.
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ";
let whole = "";
for (let i = 0; whole.length < MiB; i += 1) whole += alphabet.repeat(28).slice(i % 37, (i % 37) + CHUNK);
whole = whole.slice(0, MiB);
whole = Buffer.from(whole, "latin1").toString("latin1"); // one flat string, not a rope
// What is live (after a full gc) as each streaming request leaves: the text, its JSON body and whatever the
// library still holds; garbage not yet collected is left out of this figure (it is in the peaks below).
let measuring = false;
const live = [];
const client = new AppClient({
  ...world.app,
  baseUrl: world.base,
  fetch: async (input, init) => {
    if (measuring && String(input).endsWith("/v1.0/card/streaming")) {
      globalThis.gc();
      live.push(process.memoryUsage().heapUsed);
    }
    return fetch(input, init);
  },
});
// Warm up: the token, the connection, the code paths, so the baseline holds them.
await streamAiCardTo(client, { group: world.group }, ["warm", "up"], { minIntervalMs: 0 });

const sample = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, heapExt: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
};
globalThis.gc();
globalThis.gc();
const base = sample();
const peak = { ...base };
const timer = setInterval(() => {
  const s = sample();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], s[k]);
}, 2);

async function* source() {
  for (let i = 0; i < whole.length; i += CHUNK) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield whole.slice(i, i + CHUNK);
  }
}
measuring = true;
const result = await streamAiCardTo(client, { group: world.group }, source(), { title: "1 MiB" });
measuring = false;
clearInterval(timer);
const end = sample();
for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], end[k]);
globalThis.gc();
globalThis.gc();
const after = sample();
process.stdout.write(
  `${JSON.stringify({
    via: result.via,
    requests: result.requests,
    outTrackId: result.outTrackId,
    sha256: createHash("sha256").update(whole).digest("hex"),
    heapPeak: (peak.heap - base.heap) / MiB,
    heapExtPeak: (peak.heapExt - base.heapExt) / MiB,
    rssPeak: (peak.rss - base.rss) / MiB,
    heapAfter: (after.heap - base.heap) / MiB,
    liveMax: (Math.max(...live) - base.heap) / MiB,
    liveLast: ((live.at(-1) ?? base.heap) - base.heap) / MiB,
  })}\n`,
);
