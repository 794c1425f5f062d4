/**
 * Media in and out (protocol section 7): the download of a file a person sent to the robot
 * (`POST /v1.0/robot/messageFiles/download` → a short-lived `downloadUrl`), and the upload of a file the robot
 * sends (`POST oapi /media/upload?type=…`, multipart field `media` → `media_id`), with DingTalk's limits.
 *
 * The endpoints are kept in their own table, {@link MEDIA_ENDPOINTS}, rather than in the main `ENDPOINTS`
 * that the emulator must implement completely (as cards do): the emulator does not speak media yet, and the
 * upload is a multipart body, which `EndpointSpec` does not name. When the emulator learns media the tables
 * can merge.
 * @module
 */
import { z } from "zod";

/** The `type` of `/media/upload`. */
export type MediaType = "image" | "voice" | "video" | "file";
/** Every media type, in DingTalk's order. */
export const MEDIA_TYPES: readonly MediaType[] = ["image", "voice", "video", "file"];

const MB = 1024 * 1024;

/**
 * Largest upload per media type, in bytes. Source: DingTalk's "Upload a media file" page
 * (help.dingtalk.io/open/development/upload-media-files): image 20 MB, voice 2 MB, video 20 MB, file 20 MB.
 * The page does not say whether MB is 10^6 or 2^20 bytes; 2^20 is used (see docs/media.md).
 */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaType, number>> = Object.freeze({
  image: 20 * MB,
  voice: 2 * MB,
  video: 20 * MB,
  file: 20 * MB,
});

/**
 * The formats DingTalk's upload page lists per media type (file name extensions, lower case). dingbot
 * refuses other extensions for image, voice and video (DingTalk would show a broken message); for `file` the
 * list is advisory, since DingTalk's own clients send any kind of file.
 */
export const MEDIA_FORMATS: Readonly<Record<MediaType, readonly string[]>> = Object.freeze({
  image: ["jpg", "jpeg", "gif", "png", "bmp"],
  voice: ["amr", "mp3", "wav"],
  video: ["mp4"],
  file: ["doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"],
});

/** The multipart field that carries the file. */
export const MEDIA_UPLOAD_FIELD = "media";
/** Path of the upload, on oapi.dingtalk.com, token in the `access_token` query. */
export const MEDIA_UPLOAD_PATH = "/media/upload";

/** Query of `POST /media/upload` (besides `access_token`). */
export const MediaUploadQuerySchema = z.strictObject({ type: z.enum(["image", "voice", "video", "file"]) });
/** Answer of `POST /media/upload`. */
export const MediaUploadResponseSchema = z.looseObject({
  errcode: z.literal(0).optional(),
  errmsg: z.string().optional(),
  media_id: z.string().min(1),
  type: z.string().optional(),
  created_at: z.union([z.number(), z.string()]).optional(),
});

/** Body of `POST /v1.0/robot/messageFiles/download`. */
export const MessageFileDownloadRequestSchema = z.strictObject({
  downloadCode: z.string().min(1),
  robotCode: z.string().min(1),
});
/** Answer of `messageFiles/download`: a short-lived URL to GET (it is a credential: never log it). */
export const MessageFileDownloadResponseSchema = z.looseObject({ downloadUrl: z.string().min(1) });

/** Every JSON media endpoint, by name (the multipart upload is described by the constants above). */
export const MEDIA_ENDPOINTS = {
  "robot.downloadMessageFile": {
    host: "api",
    method: "POST",
    path: "/v1.0/robot/messageFiles/download",
    auth: "header",
    params: "body",
    request: MessageFileDownloadRequestSchema,
    response: MessageFileDownloadResponseSchema,
    summary: "a short-lived download URL for a file a person sent to the robot",
  },
} as const;

/** The name of a media endpoint. */
export type MediaEndpointName = keyof typeof MEDIA_ENDPOINTS;
/** What a caller passes to a media endpoint. */
export type MediaEndpointRequest<K extends MediaEndpointName> = z.infer<
  (typeof MEDIA_ENDPOINTS)[K]["request"]
>;
/** What a media endpoint answers on success. */
export type MediaEndpointResponse<K extends MediaEndpointName> = z.infer<
  (typeof MEDIA_ENDPOINTS)[K]["response"]
>;
/** Answer of `/media/upload`. */
export type MediaUploadResponse = z.infer<typeof MediaUploadResponseSchema>;

/** The lower-case extension of a file name, without the dot; undefined when it has none. */
export function fileExtension(fileName: string): string | undefined {
  const base = fileName.slice(fileName.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 && dot < base.length - 1 ? base.slice(dot + 1).toLowerCase() : undefined;
}

/** Why {@link checkMediaUpload} refused a file. */
export type MediaUploadRefusal =
  | { reason: "empty" }
  | { reason: "too-large"; limitBytes: number }
  | { reason: "unsupported-type"; allowed: readonly string[] };

/**
 * Checks a file against DingTalk's limits for a media type before it is uploaded.
 * @param type - the upload's media type
 * @param size - the file's size in bytes
 * @param fileName - its name, when known (the extension is checked for image, voice and video)
 * @returns undefined when the file may be uploaded, else why not
 */
export function checkMediaUpload(
  type: MediaType,
  size: number,
  fileName?: string,
): MediaUploadRefusal | undefined {
  if (size <= 0) return { reason: "empty" };
  const limitBytes = MEDIA_MAX_BYTES[type];
  if (size > limitBytes) return { reason: "too-large", limitBytes };
  const extension = fileName === undefined ? undefined : fileExtension(fileName);
  if (type !== "file" && extension !== undefined && !MEDIA_FORMATS[type].includes(extension)) {
    return { reason: "unsupported-type", allowed: MEDIA_FORMATS[type] };
  }
  return undefined;
}

/** The `fileType` DingTalk's `sampleFile` wants: the extension, or `file` when there is none. */
export function sampleFileType(fileName: string): string {
  return fileExtension(fileName) ?? "file";
}
