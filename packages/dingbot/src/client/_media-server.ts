/**
 * Test-only: a tiny DingTalk on 127.0.0.1 for media: both token endpoints, `messageFiles/download` (known
 * codes → a signed URL on this server), the file URLs themselves (whole, chunked without a length, endless,
 * silent, expired), `/media/upload` (multipart, parsed) and the robot send endpoints. Not shipped.
 * @module
 */
import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The signature the fake puts in download URLs: tests check it never leaks. */
export const URL_SIGNATURE = "OSSAccessKeyId=LTAIsecretsecret&Signature=c2VjcmV0c2lnbmF0dXJl";
/** The tokens the fake hands out. */
export const MEDIA_FAKE_TOKEN = "media-token-0123456789abcdef0123";

/** How the fake serves one file. */
export type FileBehaviour =
  | { kind: "whole"; bytes: Uint8Array; name?: string; contentType?: string }
  | { kind: "chunked"; bytes: Uint8Array }
  | { kind: "endless" }
  | { kind: "silent" }
  | { kind: "expired" };

/** One recorded upload. */
export interface RecordedUpload {
  type: string | null;
  field: string;
  fileName: string;
  size: number;
  formType: string | null;
  /** sha256 (hex) of the file's bytes as received. */
  sha256: string;
  /** The request's Content-Length header (undefined when it came chunked). */
  contentLength: string | undefined;
}

/** The fake. */
export interface MediaServer {
  readonly base: string;
  /** downloadCode → how its file is served. */
  readonly files: Map<string, FileBehaviour>;
  readonly uploads: RecordedUpload[];
  /** JSON bodies of the robot OpenAPI calls, by path. */
  readonly sends: { path: string; body: Record<string, unknown> }[];
  /** Bodies of `messageFiles/download`. */
  readonly downloadCalls: Record<string, unknown>[];
  /** Answer this many coming uploads with DingTalk's throttling errcode 90018 (after reading them whole). */
  throttleUploads: number;
  /** Bytes written for the last endless file before the client went away. */
  endlessWritten(): number;
  close(): Promise<void>;
}

/** Starts the fake on a free port. */
export async function startMediaServer(): Promise<MediaServer> {
  const files = new Map<string, FileBehaviour>();
  const uploads: RecordedUpload[] = [];
  const sends: { path: string; body: Record<string, unknown> }[] = [];
  const downloadCalls: Record<string, unknown>[] = [];
  let endless = 0;
  let base = "";
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname.startsWith("/files/")) {
      serveFile(files.get(decodeURIComponent(url.pathname.slice(7))), res, (n) => {
        endless = n;
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const route = `${req.method} ${url.pathname}`;
      if (route === "POST /v1.0/oauth2/accessToken")
        return json(200, { accessToken: MEDIA_FAKE_TOKEN, expireIn: 7200 });
      if (route === "GET /gettoken")
        return json(200, { errcode: 0, errmsg: "ok", access_token: MEDIA_FAKE_TOKEN, expires_in: 7200 });
      if (route === "POST /v1.0/robot/messageFiles/download") {
        const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
        downloadCalls.push(body);
        if (req.headers["x-acs-dingtalk-access-token"] !== MEDIA_FAKE_TOKEN) {
          return json(400, { code: "InvalidAuthentication", message: "不合法的access_token" });
        }
        const code = String(body.downloadCode);
        if (!files.has(code)) {
          return json(400, { code: "invalidParameter.downloadCode.invalid", message: "downloadCode 无效" });
        }
        return json(200, { downloadUrl: `${base}/files/${encodeURIComponent(code)}?${URL_SIGNATURE}` });
      }
      if (route === "POST /media/upload") {
        if (url.searchParams.get("access_token") !== MEDIA_FAKE_TOKEN) {
          return json(200, { errcode: 40014, errmsg: "不合法的access_token" });
        }
        const request = new Request("http://x/", {
          method: "POST",
          headers: { "content-type": String(req.headers["content-type"]) },
          body: raw,
        });
        const form = await request.formData();
        const media = form.get("media");
        if (!(media instanceof Blob)) return json(200, { errcode: 40004, errmsg: "无效的媒体文件类型" });
        uploads.push({
          type: url.searchParams.get("type"),
          field: "media",
          fileName: (media as File).name,
          size: media.size,
          formType: form.get("type") as string | null,
          // Hashed from its stream: a test spies on arrayBuffer() to show the client never calls it.
          sha256: await sha256Of(media),
          contentLength: req.headers["content-length"],
        });
        if (fake.throttleUploads > 0) {
          fake.throttleUploads -= 1;
          return json(200, { errcode: 90018, errmsg: "请求太频繁" });
        }
        return json(200, {
          errcode: 0,
          errmsg: "ok",
          media_id: `@media${uploads.length}`,
          type: url.searchParams.get("type"),
          created_at: 1,
        });
      }
      if (url.pathname.startsWith("/v1.0/robot/")) {
        sends.push({ path: url.pathname, body: JSON.parse(raw.toString("utf8")) as Record<string, unknown> });
        if (url.pathname.endsWith("/batchSend")) {
          return json(200, {
            processQueryKey: "pqk-oto",
            invalidStaffIdList: [],
            flowControlledStaffIdList: [],
          });
        }
        if (url.pathname.endsWith("Recall") || url.pathname.endsWith("/recall")) {
          return json(200, { successResult: ["pqk"], failedResult: {} });
        }
        return json(200, { processQueryKey: "pqk-group" });
      }
      json(404, { code: "InvalidAction.NotFound", message: "no such API" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: MediaServer = {
    base,
    throttleUploads: 0,
    files,
    uploads,
    sends,
    downloadCalls,
    endlessWritten: () => endless,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

async function sha256Of(blob: Blob): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of blob.stream()) hash.update(chunk);
  return hash.digest("hex");
}

function serveFile(
  file: FileBehaviour | undefined,
  res: ServerResponse,
  onEndless: (n: number) => void,
): void {
  if (!file || file.kind === "expired") {
    res.writeHead(403, { "content-type": "application/xml" });
    res.end(
      `<Error><Code>AccessDenied</Code><Message>Request has expired ${URL_SIGNATURE}</Message></Error>`,
    );
    return;
  }
  if (file.kind === "silent") {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.flushHeaders();
    return;
  }
  if (file.kind === "whole") {
    res.writeHead(200, {
      "content-type": file.contentType ?? "application/octet-stream",
      "content-length": file.bytes.byteLength,
      ...(file.name
        ? { "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}` }
        : {}),
    });
    res.end(file.bytes);
    return;
  }
  if (file.kind === "chunked") {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(file.bytes);
    return;
  }
  // Endless: 64 KiB at a time, respecting backpressure, until the client goes away or 256 MiB.
  res.writeHead(200, { "content-type": "application/octet-stream" });
  const chunk = new Uint8Array(64 * 1024);
  let written = 0;
  const pump = (): void => {
    while (!res.destroyed && written < 256 * 1024 * 1024) {
      written += chunk.byteLength;
      onEndless(written);
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on("close", () => onEndless(written));
  pump();
}
