// Child process of bench/media.mjs: one download + re-upload of a person's file, in a fresh process so that
// its memory is its own. argv[2] is the contender:
//   dingbot-file   client.media.download(code, {as: "stream"}) piped to a temporary file, then
//                  client.media.upload("file", path) (a Blob backed by the file: fs.openAsBlob, inside the
//                  multipart Blob [head, file, tail] that fetch streams)
//   dingbot-blob   the same stream collected into a Blob (new Response(stream).blob()), then uploaded
//   bare           fetch: messageFiles/download, GET the URL into a Blob (response.blob()), POST a FormData
//                  with it to /media/upload (the baseline of the goals)
//   bare-streamed  fetch, streamed both ways: the GET piped to a temporary file, then a FormData holding
//                  fs.openAsBlob(path) given to fetch as the body (undici streams it): the floor of a
//                  streamed download + upload
// Tokens are fetched before the clock starts. Each phase (download, upload) is measured on its own: its
// time, the peak RSS above the RSS at its start (VmHWM after `echo 5 > /proc/self/clear_refs`: the kernel's
// own high-water mark, no sampling), and the peak of process.memoryUsage().arrayBuffers above its start
// (sampled every 2 ms). Prints one JSON line.
import { createWriteStream, openAsBlob } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppClient } from "dingbot-sdk";

const [mode] = process.argv.slice(2);
const {
  BENCH_BASE_URL: base,
  BENCH_APP_KEY: appKey,
  BENCH_APP_SECRET: appSecret,
  BENCH_CODE: code,
} = process.env;
const FILE_NAME = "bench.zip";
const dir = await mkdtemp(join(tmpdir(), "dingbot-bench-media-"));
const path = join(dir, FILE_NAME);

async function vmHwm() {
  const status = await readFile("/proc/self/status", "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** Runs one phase and measures it. */
async function phase(run) {
  globalThis.gc?.();
  globalThis.gc?.();
  const startArrayBuffers = process.memoryUsage().arrayBuffers;
  await writeFile("/proc/self/clear_refs", "5");
  const startRss = await vmHwm();
  let peakArrayBuffers = startArrayBuffers;
  const sampler = setInterval(() => {
    peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
  }, 2);
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  clearInterval(sampler);
  peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
  const peakRss = await vmHwm();
  return {
    value,
    ms,
    rss: peakRss - startRss,
    arrayBuffers: peakArrayBuffers - startArrayBuffers,
    peakRss,
    peakArrayBuffers,
    startRss,
    startArrayBuffers,
  };
}

let download;
let upload;
if (mode === "bare" || mode === "bare-streamed") {
  const oapi = await (
    await fetch(
      `${base}/gettoken?appkey=${encodeURIComponent(appKey)}&appsecret=${encodeURIComponent(appSecret)}`,
    )
  ).json();
  const api = await (
    await fetch(`${base}/v1.0/oauth2/accessToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey, appSecret }),
    })
  ).json();
  download = async () => {
    const answer = await fetch(`${base}/v1.0/robot/messageFiles/download`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": api.accessToken },
      body: JSON.stringify({ downloadCode: code, robotCode: appKey }),
    });
    const { downloadUrl } = await answer.json();
    const response = await fetch(downloadUrl);
    if (mode === "bare") return response.blob();
    await pipeline(Readable.fromWeb(response.body), createWriteStream(path));
    return openAsBlob(path);
  };
  upload = async (blob) => {
    const form = new FormData();
    form.append("type", "file");
    form.append("media", blob, FILE_NAME);
    const uploaded = await fetch(`${base}/media/upload?access_token=${oapi.access_token}&type=file`, {
      method: "POST",
      body: form,
    });
    const answer = await uploaded.json();
    return { mediaId: answer.media_id, errcode: answer.errcode };
  };
} else {
  const client = new AppClient({ appKey, appSecret, robotCode: appKey, baseUrl: base });
  await client.getToken("oapi");
  await client.getToken("api");
  download = async () => {
    const file = await client.media.download(code, { as: "stream" });
    if (mode === "dingbot-blob") return new Response(file.data).blob();
    await pipeline(Readable.fromWeb(file.data), createWriteStream(path));
    return path;
  };
  upload = (source) => client.media.upload("file", source, { fileName: FILE_NAME });
}

try {
  const down = await phase(download);
  const up = await phase(() => upload(down.value));
  process.stdout.write(
    `${JSON.stringify({
      mode,
      ms: down.ms + up.ms,
      // Peaks over the whole operation, above the baseline before the download: what the upload phase
      // adds sits on top of what the download left alive (a Blob in memory, for bare and dingbot-blob).
      rss: Math.max(down.peakRss, up.peakRss) - down.startRss,
      arrayBuffers: Math.max(down.peakArrayBuffers, up.peakArrayBuffers) - down.startArrayBuffers,
      download: { ms: down.ms, rss: down.rss, arrayBuffers: down.arrayBuffers },
      upload: { ms: up.ms, rss: up.rss, arrayBuffers: up.arrayBuffers, ...up.value },
    })}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
