/**
 * The actions of `dingbot media upload | download`. Credentials, client, printer and error reports are the
 * ones `dingbot robot send` uses, so the env, flags and exit codes are the same.
 * @module
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { DEFAULT_DOWNLOAD_MAX_BYTES } from "dingbot-sdk/client";
import { MEDIA_FORMATS, MEDIA_TYPES, type MediaType } from "dingbot-sdk/protocol";
import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { parseDuration } from "../parse-flags.js";
import { printer } from "../printer.js";
import { reportError } from "../report-error.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";
import { describeMediaError, isUploadRefusal } from "./media-errors.js";
import type { MediaDownloadFlags, MediaUploadFlags } from "./media-flags.js";
import { localFile, parseByteSize } from "./media-source.js";

/** Runs `dingbot media upload FILE --type TYPE`: prints the media id (only it, for `id=$(…)`). */
export async function runMediaUpload(file: string, flags: MediaUploadFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    if (flags.type === undefined) {
      const guess = typeOf(file);
      throw new CliUsageError(
        "no media type: give --type image, voice, video or file",
        guess ? `for ${basename(file)}: --type ${guess}` : "--type file takes any format",
      );
    }
    const type = flags.type as MediaType;
    const path = await localFile(io, file, "FILE", "give the path of the file to upload");
    if (flags.fileName !== undefined && !flags.fileName.trim()) {
      throw new CliUsageError(
        "--file-name is empty",
        "give the name DingTalk shows, e.g. --file-name 日报.pdf",
      );
    }
    const client = appClient(flags, io, credentials(flags, io, false), print);
    const uploaded = await client.media.upload(type, path, {
      signal: io.signal,
      ...(flags.fileName ? { fileName: flags.fileName } : {}),
    });
    if (print.json) print.out(`${JSON.stringify({ ok: true, ...uploaded })}\n`);
    else print.out(`${uploaded.mediaId}\n`);
    return EXIT.OK;
  } catch (error) {
    // A file the library refused before uploading it (too large, not a format DingTalk takes) is bad input.
    const code = reportError(error, print, describeMediaError("upload", "--type file"), describeAppError);
    return isUploadRefusal(error) ? EXIT.USAGE : code;
  }
}

/** The media type a file's extension suggests, for the hint. */
function typeOf(file: string): MediaType | undefined {
  const extension = extname(file).slice(1).toLowerCase();
  return MEDIA_TYPES.find((type) => type !== "file" && MEDIA_FORMATS[type].includes(extension));
}

/**
 * Runs `dingbot media download CODE --out FILE`: streams the file into a temporary file next to the
 * destination and renames it when whole, so a refused or cut-off download leaves nothing behind (and an
 * existing file untouched).
 */
export async function runMediaDownload(
  downloadCode: string,
  flags: MediaDownloadFlags,
  io: CliIo,
): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  let partial: string | undefined;
  try {
    if (!downloadCode.trim()) {
      throw new CliUsageError("the downloadCode is empty", "give the message's content.downloadCode");
    }
    if (!flags.out) {
      throw new CliUsageError(
        "no destination: give --out FILE (or an existing directory)",
        "e.g. --out photo.jpg",
      );
    }
    const maxBytes =
      flags.maxBytes === undefined
        ? DEFAULT_DOWNLOAD_MAX_BYTES
        : parseByteSize(flags.maxBytes, "--max-bytes");
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, "--timeout");
    const out = resolve(io.cwd, flags.out);
    const intoDirectory = await isDirectory(out);
    const directory = intoDirectory ? out : resolve(out, "..");
    if (!(await isDirectory(directory))) {
      throw new CliUsageError(
        `--out ${flags.out}: no such directory ${directory}`,
        "create it first, or write elsewhere",
      );
    }
    const client = appClient(flags, io, credentials(flags, io, false), print, flags.robotCode);
    const file = await client.media.download(downloadCode, {
      as: "stream",
      maxBytes,
      signal: io.signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    partial = join(directory, `.dingbot-download-${randomBytes(6).toString("hex")}.part`);
    // The library's stream errors with MediaError past --max-bytes, and with RequestError on a timeout.
    await pipeline(
      Readable.fromWeb(file.data as WebReadableStream<Uint8Array>),
      createWriteStream(partial, { flags: "wx" }),
      { signal: io.signal },
    );
    const size = (await stat(partial)).size;
    const destination = intoDirectory ? join(directory, safeName(file.fileName)) : out;
    await rename(partial, destination);
    partial = undefined;
    if (print.json) {
      print.out(
        `${JSON.stringify({
          ok: true,
          path: destination,
          bytes: size,
          ...(file.fileName ? { fileName: file.fileName } : {}),
          ...(file.contentType ? { contentType: file.contentType } : {}),
        })}\n`,
      );
    } else {
      const about = [file.fileName, file.contentType].filter(Boolean).join(", ");
      print.out(`saved ${size} bytes to ${destination}${about ? ` (${about})` : ""}\n`);
    }
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeMediaError("download"), describeAppError);
  } finally {
    if (partial) await unlink(partial).catch(() => {});
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The file's own name as a plain name in the directory (no path, no dot files), else `download`. */
function safeName(fileName: string | undefined): string {
  const name = basename(fileName ?? "")
    .replace(/[\\/\0]/g, "_")
    .replace(/^\.+/, "");
  return name || "download";
}
