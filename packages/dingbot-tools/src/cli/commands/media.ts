/**
 * `dingbot media upload | download`: DingTalk's media files from the command line, with the same
 * credentials, flags and exit codes as `dingbot robot send`.
 * @module
 */
import { Option } from "commander";
import { addAppFlags } from "./app-flags.js";
import type { MediaDownloadFlags, MediaUploadFlags } from "./media-flags.js";
import type { RegisterCommand } from "./register.js";

/** Registers `dingbot media` and its two subcommands. */
export const registerMedia: RegisterCommand = (program, io, setExit) => {
  const media = program
    .command("media")
    .description("upload a file for robot messages, or download a file people sent the robot");

  const upload = media
    .command("upload")
    .description("upload a file to DingTalk (/media/upload); prints its media id")
    .argument("<file>", "the file to upload")
    .addOption(
      new Option(
        "--type <type>",
        "image (jpg/png/gif/bmp, ≤ 20 MiB), voice (amr/mp3/wav, ≤ 2 MiB), video (mp4, ≤ 20 MiB) or file (≤ 20 MiB)",
      ).choices(["image", "voice", "video", "file"]),
    )
    .option("--file-name <name>", "the name DingTalk shows (default: the file's own name)");
  addAppFlags(upload, { agent: false })
    .addHelpText(
      "after",
      `
Examples:
  id=$(dingbot media upload chart.png --type image)
  dingbot robot send --conversation-id cid… --msg-key sampleImageMsg --param photoURL="$id"

The file is checked against DingTalk's limits for its type before anything is sent.
Exit codes: 0 uploaded, 1 DingTalk refused (or the network failed), 2 bad usage or a file DingTalk
does not take (too large, wrong format; nothing sent).`,
    )
    .action(async (file: string, flags: MediaUploadFlags) => {
      const { runMediaUpload } = await import("./media-action.js");
      setExit(await runMediaUpload(file, flags, io));
    });

  const download = media
    .command("download")
    .description("download a file people sent the robot, by the message's downloadCode")
    .argument("<downloadCode>", "the message's content.downloadCode (a picture, file, voice note or video)")
    .option("--out <file>", "where to write it; an existing directory keeps the file's own name")
    .option("--max-bytes <size>", "refuse a larger file: bytes, or 512K, 100M, 1G (default 20M)")
    .option("--timeout <duration>", "give up when the whole file has not arrived in time (default 60s)")
    .option("--robot-code <code>", "the robot the message was sent to (default: the app key)");
  addAppFlags(download, { agent: false })
    .addHelpText(
      "after",
      `
Examples:
  dingbot media download "$DOWNLOAD_CODE" --out photo.jpg
  dingbot media download "$DOWNLOAD_CODE" --out ./inbox/ --max-bytes 100M --output json

The file is written whole or not at all; the short-lived download URL is never printed.
Exit codes: 0 saved, 1 DingTalk refused the downloadCode, the file passed --max-bytes or the
download failed, 2 bad usage (nothing fetched).`,
    )
    .action(async (downloadCode: string, flags: MediaDownloadFlags) => {
      const { runMediaDownload } = await import("./media-action.js");
      setExit(await runMediaDownload(downloadCode, flags, io));
    });
};
