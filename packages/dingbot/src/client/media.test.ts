import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MediaError, RequestError } from "../errors.js";
import type { Logger } from "../logger.js";
import { MEDIA_MAX_BYTES } from "../protocol/api/media.js";
import { type MediaServer, startMediaServer, URL_SIGNATURE } from "./_media-server.js";
import { AppClient } from "./app-client.js";

let server: MediaServer;
let lines: string[];

function memoryLogger(): Logger {
  const write = (obj: object, msg?: string) => void lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  return { debug: write, info: write, warn: write, error: write };
}

function client(options: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {}): AppClient {
  return new AppClient({
    appKey: "dingapp",
    appSecret: "app-secret-value-0123456789",
    baseUrl: server.base,
    logger: memoryLogger(),
    ...options,
  });
}

/** What kind of body a fetch was handed: the upload must be a Blob (streamed), never bytes. */
function bodyKind(body: unknown): string {
  if (body === undefined || body === null) return "none";
  if (typeof body === "string") return "string";
  if (body instanceof Blob) return "Blob";
  if (body instanceof FormData) return "FormData";
  if (body instanceof ReadableStream) return "ReadableStream";
  if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return "bytes";
  return typeof body;
}

/** The global fetch, recording each upload's body kind and size. */
function recordingFetch(bodies: { kind: string; size?: number }[]): typeof fetch {
  return (input, init) => {
    if (String(input).includes("/media/upload")) {
      const body = init?.body;
      bodies.push({ kind: bodyKind(body), ...(body instanceof Blob ? { size: body.size } : {}) });
    }
    return fetch(input, init);
  };
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

beforeEach(async () => {
  server = await startMediaServer();
  lines = [];
});
afterEach(async () => {
  await server.close();
});

describe("media download", () => {
  it("turns a downloadCode into bytes, with the name and type from the answer", async () => {
    server.files.set("dc1", {
      kind: "whole",
      bytes: bytes(1000),
      name: "报告.pdf",
      contentType: "application/pdf",
    });
    const file = await client().robot.downloadFile("dc1");
    expect(file.data).toEqual(bytes(1000));
    expect(file).toMatchObject({ fileName: "报告.pdf", contentType: "application/pdf", size: 1000 });
    expect(server.downloadCalls).toEqual([{ downloadCode: "dc1", robotCode: "dingapp" }]);
    expect(lines.join("\n")).not.toContain(URL_SIGNATURE);
    expect(lines.join("\n")).not.toContain("/files/");
  });

  it("reads a body sent without a length, and falls back to the message's file name", async () => {
    server.files.set("dc2", { kind: "chunked", bytes: bytes(300_000) });
    const file = await client().media.download("dc2", { fileName: "a.zip" });
    expect(file.data.byteLength).toBe(300_000);
    expect(file.fileName).toBe("a.zip");
  });

  it("refuses an unknown or expired downloadCode with a typed error", async () => {
    const error = await client()
      .robot.downloadFile("nope")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ reason: "download-code", status: 400 });
  });

  it("refuses a file whose declared length is over the limit before reading it", async () => {
    server.files.set("big", { kind: "whole", bytes: bytes(5000) });
    const error = await client()
      .media.download("big", { maxBytes: 4096 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "too-large", limitBytes: 4096 });
  });

  it("stops an endless file soon after it passes the limit, counting as it streams", async () => {
    server.files.set("endless", { kind: "endless" });
    const limit = 1024 * 1024;
    const error = await client()
      .media.download("endless", { maxBytes: limit })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ reason: "too-large" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Socket buffers hold a few MiB at most; the fake would go on to 256 MiB if nobody stopped it.
    expect(server.endlessWritten()).toBeLessThan(limit + 16 * 1024 * 1024);
  });

  it("enforces the limit on a stream too", async () => {
    server.files.set("endless", { kind: "endless" });
    const file = await client().media.download("endless", { maxBytes: 200_000, as: "stream" });
    const reader = file.data.getReader();
    let received = 0;
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received += value.byteLength;
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "too-large" });
    expect(received).toBeLessThanOrEqual(200_000);
  });

  it("streams a whole file", async () => {
    server.files.set("dc3", { kind: "whole", bytes: bytes(70_000) });
    const file = await client().media.download("dc3", { as: "stream" });
    const body = new Uint8Array(await new Response(file.data).arrayBuffer());
    expect(body.byteLength).toBe(70_000);
  });

  it("gives up after the timeout, without the URL in the error", async () => {
    server.files.set("slow", { kind: "silent" });
    const error = await client()
      .media.download("slow", { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(String((error as Error).message)).toContain("150 ms");
    expect(String((error as Error).message)).not.toContain(URL_SIGNATURE);
  });

  it("says when the download URL is refused (expired), without the URL", async () => {
    server.files.set("old", { kind: "expired" });
    const error = await client()
      .media.download("old")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "download-failed", status: 403 });
    expect(JSON.stringify({ m: (error as Error).message, ...(error as object) })).not.toContain(
      URL_SIGNATURE,
    );
  });
});

describe("media upload and send", () => {
  it("uploads bytes as multipart field `media` with the type, and returns the media_id", async () => {
    const uploaded = await client().media.upload("image", bytes(2048), { fileName: "chart.png" });
    expect(uploaded).toEqual({ mediaId: "@media1", type: "image", fileName: "chart.png", size: 2048 });
    expect(server.uploads).toEqual([
      {
        type: "image",
        field: "media",
        fileName: "chart.png",
        size: 2048,
        formType: "image",
        sha256: sha256(bytes(2048)),
        contentLength: expect.stringMatching(/^\d+$/),
      },
    ]);
  });

  it("streams a path's file to DingTalk as a Blob, never reading it whole (no copy of the file)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dingbot-media-"));
    const arrayBuffers = [
      vi.spyOn(Blob.prototype, "arrayBuffer"),
      vi.spyOn(Response.prototype, "arrayBuffer"),
      vi.spyOn(Request.prototype, "arrayBuffer"),
    ];
    try {
      const path = join(dir, "big.zip");
      const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);
      await writeFile(path, data);
      const bodies: { kind: string; size?: number }[] = [];
      const uploaded = await client({ fetch: recordingFetch(bodies) }).media.upload("file", path);
      expect(uploaded).toMatchObject({ fileName: "big.zip", size: data.byteLength });
      // fetch got the Blob itself: it streams it (a file-backed part from disk) and sets its length.
      expect(bodies).toEqual([{ kind: "Blob", size: expect.any(Number) }]);
      expect(server.uploads).toEqual([
        expect.objectContaining({
          fileName: "big.zip",
          size: data.byteLength,
          sha256: sha256(data),
          contentLength: String(bodies[0]?.size),
        }),
      ]);
      // Nobody turned a body or the file into one buffer (the old path: new Response(form).arrayBuffer()).
      for (const spy of arrayBuffers) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of arrayBuffers) spy.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails with a RequestError when the file changes between the check and the upload", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dingbot-media-"));
    try {
      const path = join(dir, "report.pdf");
      await writeFile(path, bytes(4096));
      // The file is read only as it is sent, so a change after the size check is found then, not sent.
      const rewriting: typeof fetch = async (input, init) => {
        if (String(input).includes("/media/upload")) await writeFile(path, bytes(10));
        return fetch(input, init);
      };
      const error = await client({ fetch: rewriting })
        .media.upload("file", path)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestError);
      expect(server.uploads).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends the whole body again when DingTalk throttles the upload", async () => {
    server.throttleUploads = 1;
    const bodies: { kind: string; size?: number }[] = [];
    const sleeps: number[] = [];
    const data = bytes(5000, 3);
    const uploaded = await client({
      fetch: recordingFetch(bodies),
      sleep: async (ms) => void sleeps.push(ms),
    }).media.upload("file", new Blob([data]), { fileName: "a.pdf" });
    expect(uploaded.mediaId).toBe("@media2");
    expect(sleeps).toHaveLength(1);
    expect(bodies.map((b) => b.kind)).toEqual(["Blob", "Blob"]);
    // Both attempts arrived whole: a Blob is read again from its start, unlike a stream body.
    expect(server.uploads.map((u) => [u.size, u.sha256])).toEqual([
      [5000, sha256(data)],
      [5000, sha256(data)],
    ]);
  });

  it("escapes a file name's quotes and line breaks, so it cannot end its header line", async () => {
    // Percent-escaped on the wire as the HTML standard's form encoder does; the parser (Node's, as a
    // browser's) unescapes them, so the name arrives whole and no header was injected.
    const fileName = '周"报\r\nX-Evil: 1.pdf';
    await client().media.upload("file", bytes(10), { fileName });
    expect(server.uploads[0]).toMatchObject({ fileName, size: 10, formType: "file" });
  });

  it("checks DingTalk's limits before sending anything", async () => {
    const c = client();
    const tooBig = await c.media.upload("voice", bytes(MEDIA_MAX_BYTES.voice + 1)).catch((e: unknown) => e);
    expect(tooBig).toMatchObject({ reason: "too-large", limitBytes: 2 * 1024 * 1024 });
    const wrongType = await c.media
      .upload("image", bytes(10), { fileName: "notes.txt" })
      .catch((e: unknown) => e);
    expect(wrongType).toMatchObject({ reason: "unsupported-type" });
    const empty = await c.media.upload("file", new Uint8Array(0)).catch((e: unknown) => e);
    expect(empty).toMatchObject({ reason: "empty" });
    expect(server.uploads).toEqual([]);
  });

  it("sends a file from a path to a group as sampleFile", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dingbot-media-"));
    try {
      const path = join(dir, "周报.xlsx");
      await writeFile(path, bytes(4096));
      const result = await client().media.sendFile({ group: "cidG==" }, path);
      expect(result.processQueryKeys).toEqual(["pqk-group"]);
      expect(server.uploads[0]).toMatchObject({ type: "file", fileName: "周报.xlsx", size: 4096 });
      expect(server.sends).toEqual([
        {
          path: "/v1.0/robot/groupMessages/send",
          body: {
            robotCode: "dingapp",
            openConversationId: "cidG==",
            msgKey: "sampleFile",
            msgParam: JSON.stringify({ mediaId: "@media1", fileName: "周报.xlsx", fileType: "xlsx" }),
          },
        },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends an image URL as it is, 1:1, and an uploaded voice note with its duration", async () => {
    const c = client();
    await c.media.sendImage({ users: ["u1"] }, "https://example.com/a.png");
    await c.media.sendAudio({ users: ["u1"] }, bytes(100), { fileName: "hi.amr", durationMs: 3200.4 });
    expect(server.sends.map((s) => [s.path, s.body.msgKey, s.body.msgParam])).toEqual([
      [
        "/v1.0/robot/oToMessages/batchSend",
        "sampleImageMsg",
        JSON.stringify({ photoURL: "https://example.com/a.png" }),
      ],
      [
        "/v1.0/robot/oToMessages/batchSend",
        "sampleAudio",
        JSON.stringify({ mediaId: "@media1", duration: "3200" }),
      ],
    ]);
  });

  it("sends a video with its cover", async () => {
    await client().media.sendVideo(
      { group: "cidG==" },
      { video: bytes(500), cover: bytes(50), durationSeconds: 12 },
    );
    expect(server.uploads.map((u) => [u.type, u.fileName])).toEqual([
      ["video", "video.mp4"],
      ["image", "image.png"],
    ]);
    expect(JSON.parse(String(server.sends[0]?.body.msgParam))).toEqual({
      duration: "12",
      videoMediaId: "@media1",
      videoType: "mp4",
      picMediaId: "@media2",
    });
  });

  it("recalls by target: 1:1 through otoMessages/batchRecall, group through groupMessages/recall", async () => {
    const c = client();
    await c.robot.recallFrom({ users: ["u1"] }, ["k1"]);
    await c.robot.recallFrom({ group: "cidG==" }, ["k2"]);
    expect(server.sends.map((s) => s.path)).toEqual([
      "/v1.0/robot/otoMessages/batchRecall",
      "/v1.0/robot/groupMessages/recall",
    ]);
  });
});
