/**
 * What `dingbot media upload | download` and `robot send --image/--file/--audio/--video` say about the
 * library's MediaError: what was wrong and how to fix it, and which refusals are bad input (exit 2: the
 * file was refused before anything was sent) rather than DingTalk's answer (exit 1).
 * @module
 */
import { ApiError, MediaError } from "dingbot-sdk/client";
import { MEDIA_MAX_BYTES, MEDIA_TYPES } from "dingbot-sdk/protocol";
import { type DescribeError, jsonReport } from "../report-error.js";

/** DingTalk's upload limits, as a hint reads them: `image 20 MiB, voice 2 MiB, …`. */
function uploadLimits(): string {
  return MEDIA_TYPES.map((type) => `${type} ${formatBytes(MEDIA_MAX_BYTES[type])}`).join(", ");
}

/** Bytes as people read them: `20 MiB`, `512 KiB`, `1000 bytes`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Whether an error is the library's refusal of a file before uploading it (too large for its type, not a
 * format DingTalk takes, empty): bad input, exit 2, nothing was sent.
 */
export function isUploadRefusal(error: unknown): boolean {
  return (
    error instanceof MediaError &&
    (error.reason === "too-large" || error.reason === "unsupported-type" || error.reason === "empty")
  );
}

/**
 * Describes the library's MediaError; undefined for anything else.
 * @param when - `upload` (a too-large file is DingTalk's limit) or `download` (it is `--max-bytes`)
 * @param asFile - how this command sends a file of any format (`--file`, `--type file`)
 */
export function describeMediaError(when: "upload" | "download", asFile = "--file"): DescribeError {
  return (error) => {
    if (!(error instanceof MediaError)) return undefined;
    // DingTalk's own code of a refused downloadCode, for programs reading the JSON line.
    const cause = error.cause instanceof ApiError ? error.cause : undefined;
    const code = cause?.apiCode ?? cause?.errcode;
    const report = (message: string, hint: string) => ({
      message,
      hint,
      json: jsonReport(message, hint, {
        reason: error.reason,
        ...(error.limitBytes !== undefined ? { limitBytes: error.limitBytes } : {}),
        ...(error.status !== undefined ? { status: error.status } : {}),
        ...(code !== undefined ? { code } : {}),
      }),
    });
    switch (error.reason) {
      case "too-large":
        return when === "upload"
          ? report(
              `${error.message} (nothing was sent)`,
              `DingTalk's limits: ${uploadLimits()}; make it smaller, or put it online and send a link`,
            )
          : report(error.message, "raise --max-bytes if you expect a file this large, e.g. --max-bytes 100M");
      case "unsupported-type":
        return report(
          `${error.message} (nothing was sent)`,
          `convert it to one of those formats, or send it as a file (${asFile}), which takes any format`,
        );
      case "empty":
        return report(
          `${error.message} (nothing was sent)`,
          "check the path: DingTalk does not take empty files",
        );
      case "download-code":
        return report(
          error.message,
          "a downloadCode works only with the robot the message was sent to (--robot-code) and for a while; take a fresh one from the message",
        );
      case "download-failed":
        return report(error.message, "run the command again: it asks DingTalk for a new download URL");
    }
  };
}
