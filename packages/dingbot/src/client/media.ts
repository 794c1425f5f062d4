/**
 * Media of one app robot: download what people send (a `downloadCode` → a short-lived URL → the bytes, with
 * a size limit counted as they stream and a timeout), upload what the robot sends (`/media/upload`, checked
 * against DingTalk's limits first) and send images, files, voice notes and videos through the robot OpenAPI.
 *
 * The download URL is a credential for the file: it is never logged and never put in an error.
 * @module
 */
import { randomBytes } from "node:crypto";
import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiError, AuthError, MediaError, RateLimitedError, RequestError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import {
  checkMediaUpload,
  MEDIA_UPLOAD_FIELD,
  MEDIA_UPLOAD_PATH,
  type MediaEndpointName,
  type MediaEndpointRequest,
  type MediaEndpointResponse,
  type MediaType,
  MediaUploadResponseSchema,
  sampleFileType,
} from "../protocol/api/media.js";
import { robotMessage } from "../protocol/api/msg-keys.js";
import { check } from "../protocol/validate.js";
import type { RawBody } from "./api-http.js";
import type { CallOptions, EndpointCaller } from "./endpoint-caller.js";
import { type BatchSendResult, RobotApi, type RobotTarget } from "./robot-api.js";

/** What {@link Media} needs from the app client: the media endpoints and a multipart upload. */
export interface MediaCaller extends EndpointCaller {
  /**
   * Calls a JSON media endpoint (`MEDIA_ENDPOINTS`) with checked arguments.
   * @param name - e.g. `"robot.downloadMessageFile"`
   * @param args - the endpoint's body
   */
  callMedia<K extends MediaEndpointName>(
    name: K,
    args: MediaEndpointRequest<K>,
    options?: CallOptions,
  ): Promise<MediaEndpointResponse<K>>;
  /**
   * Posts a multipart body to an old-API path with the `access_token` query; returns DingTalk's JSON.
   * @param path - e.g. `/media/upload`
   * @param query - query parameters besides the token
   * @param body - the multipart body as a Blob (sent as a stream, possibly more than once) and its content
   *   type (with the boundary)
   */
  postMultipart(
    path: string,
    query: Record<string, string>,
    body: RawBody,
    options?: CallOptions,
  ): Promise<unknown>;
}

/**
 * A file to upload: a path (or `file:` URL), bytes, or a Blob (a `File` brings its name). For images, an
 * `http(s)` URL is sent as it is, without an upload.
 */
export type MediaSource = string | URL | Uint8Array | Blob;

/** Options of {@link Media.upload}. */
export interface UploadOptions extends CallOptions {
  /** The name DingTalk shows (default: the path's base name, a File's name, or `<type>.<usual extension>`). */
  fileName?: string;
}

/** A file uploaded to DingTalk. */
export interface UploadedMedia {
  /** `media_id`, for msgParam fields (`photoURL`, `mediaId`, `videoMediaId`, `picMediaId`). */
  mediaId: string;
  type: MediaType;
  fileName: string;
  /** Bytes uploaded. */
  size: number;
}

/** Options of a download. */
export interface DownloadOptions extends CallOptions {
  /** Refuse files larger than this many bytes (default {@link DEFAULT_DOWNLOAD_MAX_BYTES}). */
  maxBytes?: number;
  /** Give up when the file has not arrived (been read, for a stream) within this many ms (default 60 000). */
  timeoutMs?: number;
  /** The robot the message was sent to (default the client's). */
  robotCode?: string;
  /** `bytes` (default) reads the whole file; `stream` hands back a ReadableStream that enforces the limit. */
  as?: "bytes" | "stream";
  /** A name to report when the answer does not carry one (the message's `fileName`). */
  fileName?: string;
}

/** A downloaded file. */
export interface DownloadedFile<D = Uint8Array> {
  /** The bytes, or a stream of them (`as: "stream"`). */
  data: D;
  /** From the answer's Content-Disposition, else the one the message gave. */
  fileName?: string;
  /** From the answer's Content-Type. */
  contentType?: string;
  /** From the answer's Content-Length (a stream's size is known only once it is read). */
  size?: number;
}

/** Options of {@link Media}. */
export interface MediaOptions {
  /** The robot that sends and whose downloadCodes are read. */
  robotCode: string;
  /** The fetch for downloads (default the global one). */
  fetch?: typeof fetch;
  logger?: Logger;
  now?: () => number;
}

/** Default largest download: 20 MiB, DingTalk's own upload limit for files. */
export const DEFAULT_DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024;
/** Default time limit of a download, in ms. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

const DOWNLOAD_ENDPOINT = "GET <downloadUrl>";
const DEFAULT_NAMES: Record<MediaType, string> = {
  image: "image.png",
  voice: "voice.amr",
  video: "video.mp4",
  file: "file",
};

/** Media of one app robot (`appClient.media`). */
export class Media {
  readonly #caller: MediaCaller;
  readonly #options: MediaOptions;
  readonly #logger: Logger;
  readonly #robots = new Map<string, RobotApi>();

  /**
   * @param caller - the app client
   * @param options - robotCode, fetch, logger
   */
  constructor(caller: MediaCaller, options: MediaOptions) {
    this.#caller = caller;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Uploads a file for the robot to send, after checking it against DingTalk's limits for its type.
   * @param type - `image`, `voice`, `video` or `file`
   * @param source - a path, bytes or a Blob
   * @throws MediaError `empty`, `too-large` or `unsupported-type` before anything is sent
   * @throws ApiError and friends when DingTalk refuses the upload
   */
  async upload(type: MediaType, source: MediaSource, options: UploadOptions = {}): Promise<UploadedMedia> {
    const { blob, fileName } = await toBlob(type, source, options.fileName);
    const refusal = checkMediaUpload(type, blob.size, fileName);
    if (refusal?.reason === "empty") throw new MediaError("empty", `the ${type} to upload is empty`);
    if (refusal?.reason === "too-large") {
      throw new MediaError(
        "too-large",
        `the ${type} is ${blob.size} bytes; DingTalk takes at most ${refusal.limitBytes} bytes for ${type}`,
        { limitBytes: refusal.limitBytes },
      );
    }
    if (refusal?.reason === "unsupported-type") {
      throw new MediaError(
        "unsupported-type",
        `DingTalk takes ${type} as ${refusal.allowed.join(", ")}; got "${fileName}"`,
      );
    }
    // The file is never read here: the body is a Blob around it, streamed (from disk, for a path) as it is
    // sent and read again by a retry. Serialising it to bytes cost 3–4 copies of the file (bench/RESULTS.md).
    const answer = await this.#caller.postMultipart(
      MEDIA_UPLOAD_PATH,
      { type },
      multipartBody([["type", type]], MEDIA_UPLOAD_FIELD, blob, fileName),
      options.signal ? { signal: options.signal } : {},
    );
    const parsed = check(MediaUploadResponseSchema, answer);
    if (!parsed.ok) {
      throw new ApiError({
        status: 200,
        errmsg: "answered without media_id",
        endpoint: `POST ${MEDIA_UPLOAD_PATH}`,
        kind: "permanent",
      });
    }
    return { mediaId: parsed.value.media_id, type, fileName, size: blob.size };
  }

  /**
   * Downloads a file a person sent to the robot, by its `downloadCode`.
   * @param downloadCode - from the message (`content.downloadCode`, a rich text's picture part)
   * @throws MediaError `download-code` when DingTalk refuses the code (unknown, expired, another robot's),
   *   `download-failed` when the URL answers with an error, `too-large` as soon as the file passes `maxBytes`
   * @throws RequestError on a timeout or network failure; AuthError and friends as any call
   */
  download(
    downloadCode: string,
    options: DownloadOptions & { as: "stream" },
  ): Promise<DownloadedFile<ReadableStream<Uint8Array>>>;
  download(downloadCode: string, options?: DownloadOptions & { as?: "bytes" }): Promise<DownloadedFile>;
  download(
    downloadCode: string,
    options?: DownloadOptions,
  ): Promise<DownloadedFile<Uint8Array | ReadableStream<Uint8Array>>>;
  async download(
    downloadCode: string,
    options: DownloadOptions = {},
  ): Promise<DownloadedFile<Uint8Array | ReadableStream<Uint8Array>>> {
    const url = await this.downloadUrl(downloadCode, options);
    return fetchDownload(this.#options.fetch ?? globalThis.fetch, url, {
      maxBytes: options.maxBytes ?? DEFAULT_DOWNLOAD_MAX_BYTES,
      timeoutMs: options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
      as: options.as ?? "bytes",
      logger: this.#logger,
      now: this.#options.now ?? Date.now,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.fileName ? { fileName: options.fileName } : {}),
    });
  }

  /**
   * The short-lived URL of a file a person sent (`messageFiles/download`). It is a credential: do not log it.
   * @throws MediaError `download-code` when DingTalk refuses the code
   */
  async downloadUrl(downloadCode: string, options: DownloadOptions = {}): Promise<string> {
    const robotCode = options.robotCode ?? this.#options.robotCode;
    try {
      const answer = await this.#caller.callMedia(
        "robot.downloadMessageFile",
        { downloadCode, robotCode },
        options.signal ? { signal: options.signal } : {},
      );
      return answer.downloadUrl;
    } catch (error) {
      if (isCodeRefusal(error)) {
        throw new MediaError(
          "download-code",
          `DingTalk refused the downloadCode (${error.apiCode ?? error.errcode ?? error.status}): it is unknown, expired, or was sent to another robot`,
          { cause: error, status: error.status, secrets: [downloadCode] },
        );
      }
      throw error;
    }
  }

  /**
   * Sends an image: an `http(s)` URL as it is, anything else uploaded first (`sampleImageMsg`).
   * @param target - `{ users: [...] }` 1:1, or `{ group: openConversationId }`
   */
  async sendImage(
    target: RobotTarget,
    source: MediaSource,
    options: UploadOptions & { robotCode?: string } = {},
  ): Promise<BatchSendResult> {
    const photoURL = isHttpUrl(source)
      ? String(source)
      : (await this.upload("image", source, options)).mediaId;
    return this.#robot(options.robotCode).sendTo(
      target,
      robotMessage("sampleImageMsg", { photoURL }),
      options,
    );
  }

  /** Uploads and sends a file (`sampleFile`); `fileName` is what people see. */
  async sendFile(
    target: RobotTarget,
    source: MediaSource,
    options: UploadOptions & { robotCode?: string } = {},
  ): Promise<BatchSendResult> {
    const uploaded = await this.upload("file", source, options);
    const message = robotMessage("sampleFile", {
      mediaId: uploaded.mediaId,
      fileName: uploaded.fileName,
      fileType: sampleFileType(uploaded.fileName),
    });
    return this.#robot(options.robotCode).sendTo(target, message, options);
  }

  /** Uploads and sends a voice note (`sampleAudio`: amr, mp3 or wav, up to 2 MB); DingTalk shows `durationMs`. */
  async sendAudio(
    target: RobotTarget,
    source: MediaSource,
    options: UploadOptions & { robotCode?: string; durationMs: number },
  ): Promise<BatchSendResult> {
    const uploaded = await this.upload("voice", source, options);
    const message = robotMessage("sampleAudio", {
      mediaId: uploaded.mediaId,
      duration: String(Math.max(0, Math.round(options.durationMs))),
    });
    return this.#robot(options.robotCode).sendTo(target, message, options);
  }

  /** Uploads and sends a video with its cover picture (`sampleVideo`; DingTalk requires the cover). */
  async sendVideo(
    target: RobotTarget,
    video: {
      video: MediaSource;
      cover: MediaSource;
      /** Length in seconds. */
      durationSeconds: number;
      videoType?: string;
    },
    options: CallOptions & { robotCode?: string } = {},
  ): Promise<BatchSendResult> {
    const uploadedVideo = await this.upload("video", video.video, options);
    const cover = await this.upload("image", video.cover, options);
    const message = robotMessage("sampleVideo", {
      duration: String(Math.max(0, Math.round(video.durationSeconds))),
      videoMediaId: uploadedVideo.mediaId,
      videoType: video.videoType ?? "mp4",
      picMediaId: cover.mediaId,
    });
    return this.#robot(options.robotCode).sendTo(target, message, options);
  }

  #robot(robotCode: string | undefined): RobotApi {
    const code = robotCode ?? this.#options.robotCode;
    let robot = this.#robots.get(code);
    if (!robot) {
      robot = new RobotApi(this.#caller, code);
      // A handful of robots per app at most; the map cannot grow past what the program names.
      this.#robots.set(code, robot);
    }
    return robot;
  }
}

/** DingTalk refused the downloadCode itself, as opposed to the token, the rate or the network. */
function isCodeRefusal(error: unknown): error is ApiError {
  if (!(error instanceof ApiError) || error instanceof AuthError || error instanceof RateLimitedError) {
    return false;
  }
  return error.status >= 400 && error.status < 500;
}

function isHttpUrl(source: MediaSource): boolean {
  const text = typeof source === "string" ? source : source instanceof URL ? source.href : "";
  return /^https?:\/\//i.test(text);
}

async function toBlob(
  type: MediaType,
  source: MediaSource,
  fileName: string | undefined,
): Promise<{ blob: Blob; fileName: string }> {
  if (source instanceof Blob) {
    const named = (source as Blob & { name?: unknown }).name;
    return {
      blob: source,
      fileName: fileName ?? (typeof named === "string" && named ? named : DEFAULT_NAMES[type]),
    };
  }
  if (source instanceof Uint8Array) {
    return { blob: new Blob([source as Uint8Array<ArrayBuffer>]), fileName: fileName ?? DEFAULT_NAMES[type] };
  }
  if (isHttpUrl(source)) {
    throw new MediaError("unsupported-type", "upload takes a path, bytes or a Blob, not an http(s) URL");
  }
  const path = source instanceof URL ? fileURLToPath(source) : source;
  // A Blob backed by the file: its size is known at once and its bytes are read only when sent.
  const blob = await openAsBlob(path);
  return { blob, fileName: fileName ?? basename(path) };
}

/**
 * A `multipart/form-data` body as one Blob: `[head, file, tail]`. A Blob made of Blobs keeps referring to
 * them, so a file-backed part (`fs.openAsBlob`) stays on disk until the body is streamed. The encoding is the
 * one of the HTML standard's form serialiser, as Node's own `FormData` produces it: names and the file name
 * UTF-8, with `"`, CR and LF percent-escaped (so a file name cannot end its header line), CRLF line ends.
 * Not a `FormData`: fetch would stream one too, but node:http could not, and only a Blob says its length.
 * @param fields - text fields before the file, `[name, value]`
 * @param field - the file's field name
 * @param file - the file
 * @param fileName - the name in its Content-Disposition
 */
function multipartBody(
  fields: readonly (readonly [string, string])[],
  field: string,
  file: Blob,
  fileName: string,
): RawBody {
  // 32 random hex digits: no file will contain the delimiter by chance.
  const boundary = `----dingbot-${randomBytes(16).toString("hex")}`;
  const quoted = (text: string) => text.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
  const lineEnds = (text: string) => text.replace(/\r\n|\r|\n/g, "\r\n");
  let head = "";
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${lineEnds(value)}\r\n`;
  }
  // A Blob's type holds only printable ASCII (the constructor drops anything else), so it cannot break the line.
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(field)}"; filename="${quoted(fileName)}"\r\nContent-Type: ${file.type || "application/octet-stream"}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return {
    blob: new Blob([head, file, tail]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

interface FetchDownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  as: "bytes" | "stream";
  logger: Logger;
  now: () => number;
  signal?: AbortSignal;
  fileName?: string;
}

/**
 * GETs a download URL with a size limit and a timeout. The limit is checked against Content-Length first
 * and then counted chunk by chunk, so an oversized file is stopped as soon as it passes the limit. The URL
 * (which carries the credential) is masked in every error and never logged.
 * @param fetchFn - the fetch to use
 * @param url - the download URL
 */
export async function fetchDownload(
  fetchFn: typeof fetch,
  url: string,
  options: FetchDownloadOptions,
): Promise<DownloadedFile<Uint8Array | ReadableStream<Uint8Array>>> {
  const secrets = urlSecrets(url);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer within ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const cleanup = (): void => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  };
  const failure = (error: unknown): Error => {
    if (error instanceof MediaError) return error;
    const aborted = options.signal?.aborted === true;
    const reason = timedOut
      ? `the download did not finish within ${options.timeoutMs} ms`
      : aborted
        ? "aborted"
        : `network error${errorCode(error)}`;
    // No `cause`: a fetch error's text can hold the URL, and causes are not redacted.
    return new RequestError(DOWNLOAD_ENDPOINT, reason, { aborted, secrets });
  };
  const started = options.now();
  let response: Response;
  try {
    response = await fetchFn(url, { signal: controller.signal });
  } catch (error) {
    cleanup();
    throw failure(error);
  }
  const tooLarge = (): MediaError =>
    new MediaError("too-large", `the file is larger than the limit of ${options.maxBytes} bytes`, {
      limitBytes: options.maxBytes,
    });
  if (!response.ok) {
    cleanup();
    await response.body?.cancel().catch(() => {});
    const gone = response.status === 403 || response.status === 404 || response.status === 410;
    throw new MediaError(
      "download-failed",
      `the download URL answered HTTP ${response.status}${gone ? " (it may have expired: ask for a new one with the downloadCode)" : ""}`,
      { status: response.status, secrets },
    );
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    cleanup();
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  const meta = {
    ...fileNameOf(response.headers.get("content-disposition"), options.fileName),
    ...(response.headers.get("content-type")
      ? { contentType: String(response.headers.get("content-type")) }
      : {}),
    ...(Number.isFinite(declared) ? { size: declared } : {}),
  };
  const body = response.body;
  if (!body) {
    cleanup();
    return { data: new Uint8Array(0), ...meta, size: 0 };
  }
  const reader = body.getReader();
  if (options.as === "stream") {
    let received = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull: async (out) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            cleanup();
            options.logger.debug({ bytes: received, ms: options.now() - started }, "media downloaded");
            out.close();
            return;
          }
          received += value.byteLength;
          if (received > options.maxBytes) {
            cleanup();
            await reader.cancel().catch(() => {});
            out.error(tooLarge());
            return;
          }
          out.enqueue(value);
        } catch (error) {
          cleanup();
          out.error(failure(error));
        }
      },
      cancel: async (reason) => {
        cleanup();
        await reader.cancel(reason).catch(() => {});
      },
    });
    return { data: stream, ...meta };
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > options.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    throw failure(error);
  } finally {
    cleanup();
  }
  const data = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.byteLength;
  }
  options.logger.debug({ bytes: received, ms: options.now() - started }, "media downloaded");
  return { data, ...meta, size: received };
}

/** The URL, its query and its path: any of them may be echoed in an error text, all are credentials. */
function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [url, parsed.search.slice(1), parsed.pathname].filter((s) => s.length > 1);
  } catch {
    return [url];
  }
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return ` (${code})`;
    current = current.cause;
  }
  return "";
}

/** `filename*=UTF-8''…` wins over `filename="…"` (RFC 6266); else the name the message gave. */
function fileNameOf(disposition: string | null, fallback: string | undefined): { fileName?: string } {
  if (disposition) {
    const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
    if (extended?.[1]) {
      try {
        return { fileName: basename(decodeURIComponent(extended[1].trim())) };
      } catch {
        // A malformed escape: fall through to the plain form.
      }
    }
    const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/.exec(disposition);
    const name = (plain?.[1] ?? plain?.[2])?.trim();
    if (name) return { fileName: basename(name) };
  }
  return fallback ? { fileName: fallback } : {};
}
