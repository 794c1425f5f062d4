/**
 * The emulator's files: what people send in a chat (uploaded through `POST /_emulator/media`) and what
 * robots upload (`POST /media/upload`), the `downloadCode`s minted when a person's file reaches a robot, and
 * the signed, temporary download URLs `messageFiles/download` hands out.
 *
 * - A file is kept as the slices it arrived in (never joined), so holding it costs its size once.
 * - A `downloadCode` is bound to the robot the message was delivered to and lives
 *   `mediaDownloadCodeTtlMs` (1 h by default).
 * - A download URL is `<origin>/oss/robot-files/<fileId>/<name>?Expires=<s>&OSSAccessKeyId=…&Signature=…`
 *   (the shape of an Alibaba Cloud OSS signed URL, which is what DingTalk hands out), valid
 *   `mediaDownloadUrlTtlMs` (5 min by default); the signature is an HMAC under a key of this emulator.
 * - Everything is in memory; past `mediaMaxStoredBytes` the oldest files are forgotten.
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { MediaType } from "dingbot-sdk/protocol";
import { fakeId } from "../store.js";

/** Where a file came from. */
export type MediaOrigin = "person" | "robot-upload";

/** A stored file. */
export interface MediaFile {
  /** `@lA…` for a robot's upload (its `media_id`), `emu…` for a person's file. */
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  origin: MediaOrigin;
  /** The upload's `type` (robot uploads). */
  type?: MediaType;
  /** The app that uploaded it (robot uploads). */
  appKey?: string;
  createdAt: number;
  /** Its bytes, as received. */
  readonly chunks: readonly Uint8Array[];
}

/** What the control API and the message records show of a file (never its bytes). */
export interface MediaInfo {
  mediaId: string;
  fileName: string;
  contentType: string;
  size: number;
  /** Where the page fetches it: `/_emulator/media/<id>`. */
  downloadPath: string;
}

/** A minted downloadCode. */
export interface DownloadCodeRecord {
  code: string;
  fileId: string;
  robotCode: string;
  expiresAt: number;
}

/** Why a downloadCode was refused. */
export type DownloadCodeCheck =
  | { ok: true; file: MediaFile; record: DownloadCodeRecord }
  | { ok: false; problem: "unknown" | "expired" | "other-robot" | "file-gone" };

/** Why a download URL was refused. */
export type DownloadUrlCheck =
  | { ok: true; file: MediaFile }
  | { ok: false; problem: "no-such-key" | "expired" | "signature" };

/** The access key id in the emulator's signed URLs (a fixed, public test value). */
export const EMULATOR_OSS_ACCESS_KEY_ID = "LTAIemulator";
/** Path prefix of the download URLs. */
export const DOWNLOAD_URL_PREFIX = "/oss/robot-files/";

/** Settings of the store. */
export interface MediaStoreOptions {
  now: () => number;
  codeTtlMs: number;
  urlTtlMs: number;
  maxStoredBytes: number;
}

/** The emulator's files and the credentials that reach them. */
export class MediaStore {
  readonly files = new Map<string, MediaFile>();
  readonly #codes = new Map<string, DownloadCodeRecord>();
  readonly #key = randomBytes(32);
  #storedBytes = 0;

  constructor(readonly options: MediaStoreOptions) {}

  /** Bytes held in all. */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  /**
   * Keeps a file, forgetting the oldest ones when the store would pass its cap.
   * @param input - the file, its bytes as slices
   */
  add(input: Omit<MediaFile, "id" | "createdAt" | "size"> & { id?: string }): MediaFile {
    const size = input.chunks.reduce((n, c) => n + c.byteLength, 0);
    const id =
      input.id ?? (input.origin === "robot-upload" ? fakeId("@lA", 24, "hex") : fakeId("emu", 12, "hex"));
    const file: MediaFile = { ...input, id, size, createdAt: this.options.now() };
    for (const [oldId, old] of this.files) {
      if (this.#storedBytes + size <= this.options.maxStoredBytes) break;
      this.files.delete(oldId);
      this.#storedBytes -= old.size;
    }
    this.files.set(id, file);
    this.#storedBytes += size;
    return file;
  }

  /** The file with this id, of the given origin when asked. */
  get(id: string, origin?: MediaOrigin): MediaFile | undefined {
    const file = this.files.get(id);
    return file && (origin === undefined || file.origin === origin) ? file : undefined;
  }

  /** What the page and the control API show of a file. */
  info(file: MediaFile): MediaInfo {
    return {
      mediaId: file.id,
      fileName: file.fileName,
      contentType: file.contentType,
      size: file.size,
      downloadPath: `/_emulator/media/${encodeURIComponent(file.id)}`,
    };
  }

  /**
   * Mints a downloadCode for a file delivered to a robot.
   * @param fileId - the file
   * @param robotCode - the robot it is delivered to; only it may redeem the code
   */
  mintCode(fileId: string, robotCode: string): DownloadCodeRecord {
    this.#sweepCodes();
    const record: DownloadCodeRecord = {
      // DingTalk's codes are long opaque base64 strings.
      code: randomBytes(48)
        .toString("base64")
        .replace(/[+/=]/g, (ch) => ({ "+": "A", "/": "B", "=": "" })[ch] ?? ""),
      fileId,
      robotCode,
      expiresAt: this.options.now() + this.options.codeTtlMs,
    };
    this.#codes.set(record.code, record);
    return record;
  }

  /** Checks a downloadCode presented by `robotCode`. */
  redeem(code: string, robotCode: string): DownloadCodeCheck {
    const record = this.#codes.get(code);
    if (!record) return { ok: false, problem: "unknown" };
    if (this.options.now() > record.expiresAt) return { ok: false, problem: "expired" };
    if (record.robotCode !== robotCode) return { ok: false, problem: "other-robot" };
    const file = this.files.get(record.fileId);
    if (!file) return { ok: false, problem: "file-gone" };
    return { ok: true, file, record };
  }

  /**
   * A signed, temporary URL of a file.
   * @param origin - the emulator's origin as the caller reached it
   * @param file - the file
   */
  signedUrl(origin: string, file: MediaFile): string {
    const expires = Math.floor((this.options.now() + this.options.urlTtlMs) / 1000);
    const query = new URLSearchParams({
      Expires: String(expires),
      OSSAccessKeyId: EMULATOR_OSS_ACCESS_KEY_ID,
      Signature: this.#sign(file.id, expires),
    });
    return `${origin}${DOWNLOAD_URL_PREFIX}${encodeURIComponent(file.id)}/${encodeURIComponent(file.fileName)}?${query}`;
  }

  /** Checks a download URL's id, expiry and signature (cheap checks first, then a constant-time compare). */
  checkUrl(fileId: string, expires: string | null, signature: string | null): DownloadUrlCheck {
    if (!expires || !/^\d{1,15}$/.test(expires) || !signature) return { ok: false, problem: "signature" };
    const expected = Buffer.from(this.#sign(fileId, Number(expires)));
    const given = Buffer.from(signature);
    if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
      return { ok: false, problem: "signature" };
    }
    if (this.options.now() > Number(expires) * 1000) return { ok: false, problem: "expired" };
    const file = this.files.get(fileId);
    return file ? { ok: true, file } : { ok: false, problem: "no-such-key" };
  }

  /** Forgets every file and code. */
  clear(): void {
    this.files.clear();
    this.#codes.clear();
    this.#storedBytes = 0;
  }

  #sign(fileId: string, expires: number): string {
    return createHmac("sha256", this.#key).update(`${fileId}\n${expires}`).digest("base64url");
  }

  /** Drops codes expired for a while (an expired code must still be told apart from an unknown one). */
  #sweepCodes(): void {
    if (this.#codes.size < 1000) return;
    const cutoff = this.options.now() - this.options.codeTtlMs;
    for (const [code, record] of this.#codes) if (record.expiresAt < cutoff) this.#codes.delete(code);
  }
}
