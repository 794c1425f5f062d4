/**
 * Media, as DingTalk serves it, and the control API's file upload:
 *
 * - `POST /media/upload?access_token=…&type=image|voice|video|file` (oapi), multipart field `media` →
 *   `{errcode:0, errmsg:"ok", media_id, type, created_at}`; DingTalk's size limits and formats per type
 *   (`MEDIA_MAX_BYTES`, `MEDIA_FORMATS` of the protocol), refused with HTTP 200 and an errcode.
 * - `POST /v1.0/robot/messageFiles/download` (api) `{downloadCode, robotCode}` → `{downloadUrl}`: a
 *   temporary signed URL; the code must be unexpired and the robot's own.
 * - `GET /oss/robot-files/:id/:name?Expires&OSSAccessKeyId&Signature`: the bytes, streamed, with
 *   Content-Type and Content-Disposition; an expired or forged URL gets object storage's XML 403.
 * - `POST /_emulator/media` (multipart, or JSON `{fileName, contentType?, base64}`) → 201 a person's file,
 *   its `mediaId` usable in `POST /_emulator/conversations/:id/messages`; `GET /_emulator/media` lists files,
 *   `GET /_emulator/media/:id` serves one (for the chat page).
 *
 * No byte of an upload is read before the token and the type are known good, and every body is read with a
 * cap while it streams (`src/http/multipart.ts`). Download URLs and codes never reach a log or a rejection.
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  ACCESS_TOKEN_HEADER,
  check,
  fileExtension,
  formatIssues,
  MEDIA_ENDPOINTS,
  MEDIA_FORMATS,
  MEDIA_MAX_BYTES,
  MEDIA_TYPES,
  MEDIA_UPLOAD_FIELD,
  MEDIA_UPLOAD_PATH,
  type MediaType,
  parseJson,
} from "dingbot-sdk/protocol";
import type { Context } from "hono";
import { type MultipartPart, multipartBoundary, readMultipart } from "../../http/multipart.js";
import { readCappedBody } from "../../http/read-body.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { DOWNLOAD_URL_PREFIX, type MediaFile } from "../media/media-store.js";
import type { AppRecord } from "../store.js";
import { DingTalkRefusal, newRefusal, oldRefusal } from "./app-api-errors.js";
import { control, originOf } from "./control-http.js";
import { ControlError } from "./control-input.js";

/** Room for the multipart framing and small fields around the file, in bytes. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * The upload's errcodes. DingTalk's upload page does not list them; these are the media codes of its
 * global errcode table (the same numbers and wording as the WeChat/WeCom tables it was modelled on).
 */
export const MEDIA_UPLOAD_ERRORS = {
  badType: { errcode: 40004, errmsg: "不合法的媒体文件类型" },
  badFormat: { errcode: 40005, errmsg: "不合法的文件类型" },
  badSize: { errcode: 40006, errmsg: "不合法的文件大小" },
  missing: { errcode: 41005, errmsg: "缺少多媒体文件数据" },
} as const;

const downloadSpec = MEDIA_ENDPOINTS["robot.downloadMessageFile"];

/** Installs the media routes (before the app API's `/v1.0/*` catch-all). */
export const installMedia: RouteInstaller = (app, ctx) => {
  app.all(MEDIA_UPLOAD_PATH, (c) => guarded(c, ctx, MEDIA_UPLOAD_PATH, () => upload(c, ctx)));
  app.all(downloadSpec.path, (c) => guarded(c, ctx, downloadSpec.path, () => downloadUrl(c, ctx)));
  app.get(`${DOWNLOAD_URL_PREFIX}:id/:name`, (c) => serveSigned(c, ctx));
  app.post(
    "/_emulator/media",
    control(async (c) => c.json(ctx.media.info(await personUpload(c, ctx)), 201)),
  );
  app.get("/_emulator/media", (c) => c.json([...ctx.media.files.values()].map((f) => fileListing(ctx, f))));
  app.get(
    "/_emulator/media/:id",
    control((c) => {
      const file = ctx.media.get(c.req.param("id") ?? "");
      if (!file) throw new ControlError(404, "no such file");
      return serveFile(file, c.req.query("download") !== undefined);
    }),
  );
};

function fileListing(ctx: EmulatorContext, file: MediaFile) {
  return {
    ...ctx.media.info(file),
    origin: file.origin,
    createdAt: file.createdAt,
    ...(file.type ? { type: file.type } : {}),
    ...(file.appKey ? { appKey: file.appKey } : {}),
  };
}

/** Runs a DingTalk route; a refusal is answered in its shape and recorded (method and path only). */
async function guarded(
  c: Context,
  ctx: EmulatorContext,
  path: string,
  run: () => Promise<Response>,
): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof DingTalkRefusal)) throw error;
    const body = error.body;
    ctx.store.recordRejection({
      endpoint: `${c.req.method} ${path}`,
      errcode: (body.errcode as number | undefined) ?? (body.code as string | undefined) ?? error.status,
      errmsg: String(body.errmsg ?? body.message ?? ""),
      reason: error.reason,
    });
    return c.json(body, error.status as 200);
  }
}

/** The app of an oapi token (`access_token` query). */
function oapiApp(c: Context, ctx: EmulatorContext): AppRecord {
  const token = new URL(c.req.url).searchParams.get("access_token") ?? undefined;
  const result = ctx.appApi.tokens.verify(token, ctx.options.now());
  const app = result.ok ? ctx.store.apps.get(result.record.appKey) : undefined;
  if (app) return app;
  if (!result.ok && result.problem === "missing") throw oldRefusal(41001, "缺少access_token参数", "token");
  throw oldRefusal(40014, "不合法的access_token", "token");
}

/** The app of an api token (`x-acs-dingtalk-access-token` header). */
function apiApp(c: Context, ctx: EmulatorContext): AppRecord {
  const result = ctx.appApi.tokens.verify(c.req.header(ACCESS_TOKEN_HEADER), ctx.options.now());
  const app = result.ok ? ctx.store.apps.get(result.record.appKey) : undefined;
  if (app) return app;
  if (!result.ok && result.problem === "missing") {
    throw newRefusal(
      400,
      "AuthenticationFailed.MissingParameter",
      "缺少参数 x-acs-dingtalk-access-token",
      "token",
    );
  }
  throw newRefusal(400, "InvalidAuthentication", "不合法的access_token", "token");
}

const refuseUpload = (which: keyof typeof MEDIA_UPLOAD_ERRORS, reason: string) =>
  oldRefusal(MEDIA_UPLOAD_ERRORS[which].errcode, MEDIA_UPLOAD_ERRORS[which].errmsg, reason);

/** `POST /media/upload`: token, type and Content-Type before a byte is read, then the capped form. */
async function upload(c: Context, ctx: EmulatorContext): Promise<Response> {
  if (c.req.method !== "POST") throw oldRefusal(43002, "需要POST请求", "method");
  const app = oapiApp(c, ctx);
  const type = new URL(c.req.url).searchParams.get("type");
  if (!type || !(MEDIA_TYPES as readonly string[]).includes(type)) throw refuseUpload("badType", "type");
  const mediaType = type as MediaType;
  const boundary = multipartBoundary(c.req.header("content-type"));
  if (!boundary) throw refuseUpload("missing", "media");
  const limit = MEDIA_MAX_BYTES[mediaType];
  const form = await readMultipart(c, boundary, { limit: limit + FORM_OVERHEAD_BYTES }).catch(
    () => undefined,
  );
  if (!form) throw oldRefusal(40035, "缺少参数 media", "body");
  if (!form.ok)
    throw form.reason === "too-large"
      ? refuseUpload("badSize", "too-large")
      : refuseUpload("missing", "media");
  const part = form.parts.find((p) => p.name === MEDIA_UPLOAD_FIELD && p.fileName !== undefined);
  if (!part) throw refuseUpload("missing", "media");
  if (part.size === 0 || part.size > limit)
    throw refuseUpload("badSize", part.size === 0 ? "empty" : "too-large");
  const fileName = part.fileName || `${mediaType}`;
  if (!formatAccepted(mediaType, fileName, part.contentType)) throw refuseUpload("badFormat", "format");
  const file = ctx.media.add({
    fileName,
    contentType: contentTypeOf(fileName, part.contentType),
    origin: "robot-upload",
    type: mediaType,
    appKey: app.appKey,
    chunks: part.chunks,
  });
  return c.json({
    errcode: 0,
    errmsg: "ok",
    media_id: file.id,
    type: mediaType,
    created_at: file.createdAt,
  });
}

/**
 * DingTalk's formats per type: image, voice and video by extension (or, without one, by the part's
 * Content-Type family); `file` takes anything, as DingTalk's own clients send every kind of file.
 */
function formatAccepted(type: MediaType, fileName: string, contentType: string | undefined): boolean {
  if (type === "file") return true;
  const extension = fileExtension(fileName);
  if (extension !== undefined) return MEDIA_FORMATS[type].includes(extension);
  const family = { image: "image/", voice: "audio/", video: "video/" }[type];
  return (contentType ?? "").toLowerCase().startsWith(family);
}

/** `POST /v1.0/robot/messageFiles/download`. */
async function downloadUrl(c: Context, ctx: EmulatorContext): Promise<Response> {
  const notFound = "Specified api is not found, please check your url and method.";
  if (c.req.method !== "POST") throw newRefusal(404, "InvalidAction.NotFound", notFound, "method");
  const tokenApp = apiApp(c, ctx);
  const read = await readCappedBody(c, 64 * 1024).catch(() => undefined);
  if (!read?.ok) throw newRefusal(400, "invalidParameter.param.invalid", "参数错误: body", "body");
  const parsed = parseJson(new TextDecoder().decode(read.bytes));
  if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) {
    throw newRefusal(400, "InvalidParameter", "body is mandatory for this action", "body");
  }
  const args = check(downloadSpec.request, parsed.value);
  if (!args.ok) {
    throw newRefusal(
      400,
      "invalidParameter.param.invalid",
      `参数错误: ${formatIssues(args.issues)}`,
      "params",
    );
  }
  const { downloadCode, robotCode } = args.value;
  const app = ctx.store.findAppByRobotCode(robotCode);
  if (!app) throw newRefusal(400, "invalidParameter.robotCode.notExsit", "机器人不存在", "robot");
  if (app.appKey !== tokenApp.appKey) {
    throw newRefusal(400, "invalidParameter.robotCode.auth", "无权限使用该机器人", "robot");
  }
  const redeemed = ctx.media.redeem(downloadCode, robotCode);
  if (!redeemed.ok) {
    // Another robot's code is refused like an unknown one: it tells nothing about other robots' files.
    throw redeemed.problem === "expired"
      ? newRefusal(400, "invalidParameter.downloadCode.expired", "downloadCode已过期", "download-code")
      : newRefusal(400, "invalidParameter.downloadCode.invalid", "downloadCode无效", "download-code");
  }
  const answer = { downloadUrl: ctx.media.signedUrl(originOf(c), redeemed.file) };
  const valid = check(downloadSpec.response, answer);
  if (!valid.ok) return c.json({ error: "emulator produced an invalid messageFiles/download answer" }, 500);
  return c.json(answer);
}

/** The GET of a download URL: object storage's answers (XML errors) for expired, forged or gone URLs. */
function serveSigned(c: Context, ctx: EmulatorContext): Response {
  const id = c.req.param("id") ?? "";
  const query = new URL(c.req.url).searchParams;
  const checked = ctx.media.checkUrl(id, query.get("Expires"), query.get("Signature"));
  if (checked.ok) return serveFile(checked.file, true);
  const [status, code, message] =
    checked.problem === "expired"
      ? [403, "AccessDenied", "Request has expired."]
      : checked.problem === "signature"
        ? [
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
          ]
        : [404, "NoSuchKey", "The specified key does not exist."];
  ctx.store.recordRejection({
    endpoint: `GET ${DOWNLOAD_URL_PREFIX}…`,
    errcode: status,
    errmsg: code,
    reason: "download-url",
  });
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n  <RequestId>${randomUUID().replaceAll("-", "").slice(0, 24).toUpperCase()}</RequestId>\n</Error>\n`;
  return new Response(xml, { status, headers: { "content-type": "application/xml" } });
}

/** Types the page may show inline; anything else (HTML, SVG, scripts) is only ever an attachment. */
const INLINE_SAFE = /^(image\/(png|jpeg|gif|bmp|webp)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain)(;|$)/i;

/**
 * Streams a file's slices with its Content-Type, Length and Disposition. Served from the emulator's
 * origin, so it is sandboxed: an uploaded HTML page must not script the control API.
 */
function serveFile(file: MediaFile, attachment: boolean): Response {
  let i = 0;
  const chunks = file.chunks;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const inline = !attachment && INLINE_SAFE.test(file.contentType);
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": file.contentType,
      "content-length": String(file.size),
      "content-disposition": contentDisposition(inline ? "inline" : "attachment", file.fileName),
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, no-store",
    },
  });
}

/** `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` (RFC 6266). */
export function contentDisposition(kind: "inline" | "attachment", fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
  amr: "audio/amr",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  ogg: "audio/ogg",
  m4a: "audio/mp4",
  mp4: "video/mp4",
  mov: "video/quicktime",
  pdf: "application/pdf",
  zip: "application/zip",
  rar: "application/vnd.rar",
  txt: "text/plain; charset=utf-8",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** The Content-Type a file is served with: the one given (unless generic), else by its extension. */
function contentTypeOf(fileName: string, given: string | undefined): string {
  const type = given?.trim();
  if (type && /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(type) && !/^application\/octet-stream/i.test(type))
    return type;
  return CONTENT_TYPES[fileExtension(fileName) ?? ""] ?? "application/octet-stream";
}

/** `POST /_emulator/media`: a person's file, multipart (field `media` or `file`) or JSON with base64. */
async function personUpload(c: Context, ctx: EmulatorContext): Promise<MediaFile> {
  const max = ctx.options.mediaMaxFileBytes;
  const boundary = multipartBoundary(c.req.header("content-type"));
  let fileName: string | undefined;
  let contentType: string | undefined;
  let chunks: Uint8Array[];
  let size: number;
  if (boundary) {
    const form = await readMultipart(c, boundary, { limit: max + FORM_OVERHEAD_BYTES }).catch(
      () => undefined,
    );
    if (!form) throw new ControlError(400, "the request body could not be read");
    if (!form.ok) {
      throw form.reason === "too-large"
        ? new ControlError(413, `the file is larger than ${max} bytes`)
        : new ControlError(400, `not a valid multipart form: ${form.message}`);
    }
    const part = form.parts.find(
      (p) => (p.name === "media" || p.name === "file") && p.fileName !== undefined,
    );
    if (!part) throw new ControlError(400, 'the form has no file part named "media" (or "file")');
    fileName = fieldText(form.parts, "fileName") ?? part.fileName;
    contentType = fieldText(form.parts, "contentType") ?? part.contentType;
    chunks = part.chunks;
    size = part.size;
  } else {
    // JSON: base64 is 4/3 of the file.
    const read = await readCappedBody(c, Math.ceil((max * 4) / 3) + FORM_OVERHEAD_BYTES).catch(
      () => undefined,
    );
    if (!read) throw new ControlError(400, "the request body could not be read");
    if (!read.ok) throw new ControlError(413, `the file is larger than ${max} bytes`);
    const parsed = parseJson(new TextDecoder().decode(read.bytes));
    const o = parsed.ok ? parsed.value : undefined;
    if (!o || typeof o !== "object" || Array.isArray(o)) {
      throw new ControlError(
        400,
        "send multipart/form-data with a media file, or JSON {fileName, contentType?, base64}",
      );
    }
    const input = o as Record<string, unknown>;
    if (typeof input.base64 !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(input.base64)) {
      throw new ControlError(400, "base64 must be the file's bytes in base64");
    }
    fileName = typeof input.fileName === "string" ? input.fileName : undefined;
    contentType = typeof input.contentType === "string" ? input.contentType : undefined;
    const bytes = Buffer.from(input.base64, "base64");
    chunks = [bytes];
    size = bytes.byteLength;
  }
  if (!fileName || fileName.length > 255 || hasControlOrSlash(fileName)) {
    throw new ControlError(400, "fileName must be a file name of at most 255 characters, without / or \\");
  }
  if (size === 0) throw new ControlError(400, "the file is empty");
  if (size > max) throw new ControlError(413, `the file is larger than ${max} bytes`);
  return ctx.media.add({
    fileName,
    contentType: contentTypeOf(fileName, contentType),
    origin: "person",
    chunks,
  });
}

/** Whether a file name holds a control character or a path separator. */
function hasControlOrSlash(name: string): boolean {
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || ch === "/" || ch === "\\") return true;
  }
  return false;
}

/** A small text field of a form. */
function fieldText(parts: MultipartPart[], name: string): string | undefined {
  const part = parts.find((p) => p.name === name && p.fileName === undefined);
  if (!part || part.size > 1024) return undefined;
  const text = Buffer.concat(
    part.chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
  ).toString("utf8");
  return text === "" ? undefined : text;
}
