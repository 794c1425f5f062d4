/**
 * The robot OpenAPI's media templates (`sampleImageMsg`, `sampleAudio`, `sampleFile`, `sampleVideo`) as the
 * message list records them: a display body, and each `mediaId` (from `/media/upload`) resolved to its file
 * name, size, type and a download link under `/_emulator/media/…`, so the page can render them.
 * @module
 */
import type { EmulatorContext } from "../context.js";
import { newRefusal } from "../routes/app-api-errors.js";
import type { MediaRecordInfo } from "./person-message.js";

/** A media template's display body and files. */
export interface RobotMediaMessage {
  body: Record<string, unknown>;
  media: MediaRecordInfo[];
}

/** The msgKeys that carry media. */
export const MEDIA_MSG_KEYS = new Set(["sampleImageMsg", "sampleAudio", "sampleFile", "sampleVideo"]);

/**
 * Resolves a media template.
 * @param ctx - the emulator (its files)
 * @param msgKey - one of {@link MEDIA_MSG_KEYS}
 * @param p - the checked msgParam
 * @throws DingTalkRefusal 400 `invalidParameter.mediaId.invalid` for a mediaId no upload returned
 *   (`sampleImageMsg`'s `photoURL` may also be a public URL, kept as it is)
 */
export function robotMediaMessage(
  ctx: EmulatorContext,
  msgKey: string,
  p: Record<string, string>,
): RobotMediaMessage {
  const resolve = (mediaId: string | undefined, kind: MediaRecordInfo["kind"]): MediaRecordInfo => {
    const file = mediaId === undefined ? undefined : ctx.media.get(mediaId, "robot-upload");
    if (!file) throw newRefusal(400, "invalidParameter.mediaId.invalid", `mediaId无效: ${mediaId}`, "params");
    return { ...ctx.media.info(file), kind };
  };
  if (msgKey === "sampleImageMsg") {
    const photoURL = p.photoURL ?? "";
    const isUrl = /^https?:\/\//i.test(photoURL);
    return {
      body: { msgtype: "image", image: { photoURL } },
      media: isUrl ? [] : [resolve(photoURL, "picture")],
    };
  }
  if (msgKey === "sampleAudio") {
    const info = resolve(p.mediaId, "audio");
    info.duration = p.duration;
    return { body: { msgtype: "audio", audio: { mediaId: p.mediaId, duration: p.duration } }, media: [info] };
  }
  if (msgKey === "sampleFile") {
    const info = resolve(p.mediaId, "file");
    info.fileName = p.fileName ?? info.fileName;
    return {
      body: { msgtype: "file", file: { mediaId: p.mediaId, fileName: p.fileName, fileType: p.fileType } },
      media: [info],
    };
  }
  const video = resolve(p.videoMediaId, "video");
  video.duration = p.duration;
  if (p.videoType !== undefined) video.videoType = p.videoType;
  const cover = resolve(p.picMediaId, "picture");
  return {
    body: {
      msgtype: "video",
      video: {
        videoMediaId: p.videoMediaId,
        picMediaId: p.picMediaId,
        duration: p.duration,
        videoType: p.videoType,
      },
    },
    media: [{ ...video, cover }],
  };
}
