/**
 * The media of `dingbot robot send`: `--image FILE|URL`, `--file FILE [--file-name]`, `--audio FILE
 * --duration`, `--video FILE --cover FILE --duration`. Every flag is checked (one message per command,
 * files that exist, a duration) before the client is built; the library then checks each file against
 * DingTalk's limits before uploading it, and sends it through the robot OpenAPI.
 * @module
 */
import type { AppClient, BatchSendResult, RobotTarget } from "dingbot-sdk/client";
import { type CliIo, CliUsageError } from "../io.js";
import { parseDuration } from "../parse-flags.js";
import { localFile } from "./media-source.js";
import type { RobotMediaFlags, RobotSendFlags } from "./robot-flags.js";

/** A media message ready to send: its msgKey (for the report) and how to send it. */
export interface MediaPlan {
  msgKey: "sampleImageMsg" | "sampleFile" | "sampleAudio" | "sampleVideo";
  send(client: AppClient, target: RobotTarget, signal: AbortSignal): Promise<BatchSendResult>;
}

const MEDIA_FLAGS = [
  ["image", "--image"],
  ["file", "--file"],
  ["audio", "--audio"],
  ["video", "--video"],
] as const satisfies ReadonlyArray<readonly [keyof RobotMediaFlags, string]>;

/** The flags that build an ordinary message (addMessageFlags) or a template, which media replaces. */
const MESSAGE_FLAGS = [
  "text",
  "markdown",
  "title",
  "link",
  "picUrl",
  "actionCard",
  "button",
  "singleUrl",
  "singleTitle",
  "vertical",
  "feedItem",
  "json",
  "atMobile",
  "atUserId",
  "atAll",
  "msgKey",
  "param",
] as const satisfies ReadonlyArray<keyof RobotSendFlags>;

const isSet = (value: unknown): boolean =>
  Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;

/** `picUrl` → `--pic-url`. */
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The message flags in use, as written on the command line. */
export function messageFlagsUsed(flags: RobotSendFlags): string[] {
  return MESSAGE_FLAGS.filter((key) => isSet(flags[key])).map(flagName);
}

/**
 * Checks the media flags and the files they name.
 * @returns the plan, or undefined when no media flag is given (an ordinary message)
 * @throws CliUsageError for two kinds of message, a flag without the one it belongs to, a missing file or
 *   duration
 */
export async function planMedia(flags: RobotSendFlags, io: CliIo): Promise<MediaPlan | undefined> {
  const chosen = MEDIA_FLAGS.filter(([key]) => flags[key] !== undefined);
  const kind = chosen[0];
  const belongs: Array<[keyof RobotMediaFlags, string, string[]]> = [
    ["fileName", "--file-name", ["file"]],
    ["cover", "--cover", ["video"]],
    ["duration", "--duration", ["audio", "video"]],
  ];
  for (const [key, flag, parents] of belongs) {
    if (flags[key] !== undefined && !parents.includes(kind?.[0] ?? "")) {
      throw new CliUsageError(
        `${flag} goes with ${parents.map((p) => `--${p}`).join(" or ")}`,
        kind
          ? `${kind[1]} does not take ${flag}`
          : `e.g. dingbot robot send --user-id u1 --${parents[0]} FILE ${flag} …`,
      );
    }
  }
  if (!kind) return undefined;
  if (chosen.length > 1) {
    throw new CliUsageError(
      `choose one message; got ${chosen.map(([, flag]) => flag).join(" and ")}`,
      "send one picture, file, voice note or video per command",
    );
  }
  const others = messageFlagsUsed(flags);
  if (others.length > 0) {
    throw new CliUsageError(
      `${kind[1]} does not go with ${others.join(", ")}`,
      "send the media and the text as two messages, one per command",
    );
  }
  switch (kind[0]) {
    case "image": {
      const value = flags.image ?? "";
      if (/^https?:\/\//i.test(value)) {
        // A URL is sent as it is (DingTalk fetches it): no upload, no size check.
        return {
          msgKey: "sampleImageMsg",
          send: (client, target, signal) => client.media.sendImage(target, value, { signal }),
        };
      }
      const path = await localFile(
        io,
        value,
        "--image",
        "give a jpg, png, gif or bmp file, or an http(s) URL of a picture",
      );
      return {
        msgKey: "sampleImageMsg",
        send: (client, target, signal) => client.media.sendImage(target, path, { signal }),
      };
    }
    case "file": {
      const path = await localFile(io, flags.file ?? "", "--file", "give the path of the file to send");
      if (flags.fileName !== undefined && !flags.fileName.trim()) {
        throw new CliUsageError(
          "--file-name is empty",
          "give the name people see, e.g. --file-name 日报.pdf",
        );
      }
      const fileName = flags.fileName;
      return {
        msgKey: "sampleFile",
        send: (client, target, signal) =>
          client.media.sendFile(target, path, { signal, ...(fileName ? { fileName } : {}) }),
      };
    }
    case "audio": {
      const path = await localFile(io, flags.audio ?? "", "--audio", "give an amr, mp3 or wav file");
      const durationMs = duration(flags, "--audio", "e.g. --duration 4500 (milliseconds) or --duration 4.5s");
      return {
        msgKey: "sampleAudio",
        send: (client, target, signal) => client.media.sendAudio(target, path, { signal, durationMs }),
      };
    }
    case "video": {
      const path = await localFile(io, flags.video ?? "", "--video", "give an mp4 file");
      if (flags.cover === undefined) {
        throw new CliUsageError(
          "--video needs --cover: DingTalk shows a picture before the video plays",
          "e.g. --video demo.mp4 --cover demo.png --duration 30s",
        );
      }
      const cover = await localFile(io, flags.cover, "--cover", "give a jpg, png, gif or bmp file");
      const durationMs = duration(flags, "--video", "e.g. --duration 30s (a bare number is milliseconds)");
      return {
        msgKey: "sampleVideo",
        send: (client, target, signal) =>
          client.media.sendVideo(
            target,
            { video: path, cover, durationSeconds: durationMs / 1000 },
            { signal },
          ),
      };
    }
  }
}

/** The `--duration` a voice note or video needs, in ms. */
function duration(flags: RobotMediaFlags, what: string, example: string): number {
  if (flags.duration === undefined) {
    throw new CliUsageError(`${what} needs --duration: DingTalk shows how long it is`, example);
  }
  return parseDuration(flags.duration, "--duration");
}
