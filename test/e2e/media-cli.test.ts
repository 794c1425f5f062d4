/**
 * `dingbot robot send --image/--file/--audio/--video` and `dingbot media upload | download` end to end: the
 * real CLI (spawned from source) against a DingTalk that speaks media, twice: the emulator (its media
 * endpoints) and the library's own test fake (`_media-server.ts`). The assertions read what DingTalk
 * received through the small {@link MediaBackend} interface, so they hold against both.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMediaServer } from "../../packages/dingbot/src/client/_media-server.js";
import { ALL_OUTPUT, runCli } from "../helpers/cli.js";

const APP_KEY = "dingmediacli0007";
const APP_SECRET = "media-cli-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
/** The people the tests send to (they exist on the emulator). */
const USERS = ["manager1234", "u1"];

/** A robot OpenAPI message as DingTalk received it. */
interface RobotMessage {
  msgKey: string;
  msgParam: Record<string, string>;
  robotCode: string;
  /** The group's openConversationId, or the person's userid. */
  to: string;
}

/** What the tests need from a DingTalk with media. */
interface MediaBackend {
  baseUrl: string;
  /** A group the app's robot is in. */
  group: string;
  /** Makes a file a person sent to the robot; returns its downloadCode. */
  personFile(bytes: Uint8Array<ArrayBuffer>, fileName: string): string;
  /** Files uploaded to /media/upload since the last reset, in order. */
  uploads(): Array<{ type: string | undefined; fileName: string; size: number }>;
  /** Robot OpenAPI messages since the last reset, in order. */
  robotMessages(): RobotMessage[];
  reset(): void;
  close(): Promise<void>;
}

async function startFakeBackend(): Promise<MediaBackend> {
  const fake = await startMediaServer();
  let codes = 0;
  return {
    baseUrl: fake.base,
    group: "cidGroup==",
    personFile: (bytes, fileName) => {
      codes += 1;
      fake.files.set(`code-${codes}`, { kind: "whole", bytes, name: fileName });
      return `code-${codes}`;
    },
    uploads: () =>
      fake.uploads.map(({ type, fileName, size }) => ({ type: type ?? undefined, fileName, size })),
    robotMessages: () =>
      fake.sends
        .filter((s) => /\/(batchSend|send)$/.test(s.path))
        .map(({ body }) => ({
          msgKey: String(body.msgKey),
          msgParam: JSON.parse(String(body.msgParam)) as Record<string, string>,
          robotCode: String(body.robotCode),
          to: String(body.openConversationId ?? (body.userIds as string[]).join(",")),
        })),
    reset: () => {
      fake.files.clear();
      fake.uploads.length = 0;
      fake.sends.length = 0;
    },
    close: () => fake.close(),
  };
}

async function startEmulatorBackend(): Promise<MediaBackend> {
  const emulator = createEmulator();
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, name: "媒体CLI" });
  for (const userId of USERS) emulator.store.createUser({ userId, name: userId });
  const group = emulator.store.createConversation({
    type: "group",
    title: "媒体群",
    members: USERS,
    robots: [APP_KEY],
  });
  const baseUrl = await emulator.listen(0);
  const { media } = emulator.ctx;
  let messagesBefore = 0;
  let uploadsBefore = new Set<string>();
  return {
    baseUrl,
    group: group.conversationId,
    personFile: (bytes, fileName) => {
      const file = media.add({ fileName, contentType: "image/jpeg", origin: "person", chunks: [bytes] });
      return media.mintCode(file.id, APP_KEY).code;
    },
    uploads: () =>
      [...media.files.values()]
        .filter((file) => file.origin === "robot-upload" && !uploadsBefore.has(file.id))
        .map(({ type, fileName, size }) => ({ type, fileName, size })),
    robotMessages: () =>
      emulator.store.messages
        .slice(messagesBefore)
        .filter((m) => m.via === "openapi")
        .map((m) => {
          const conversation = emulator.store.conversations.get(m.conversationId);
          return {
            msgKey: String(m.body.msgKey),
            msgParam: m.body.msgParam as Record<string, string>,
            robotCode: m.sender.id,
            to: conversation?.type === "group" ? m.conversationId : (conversation?.members ?? []).join(","),
          };
        }),
    reset: () => {
      messagesBefore = emulator.store.messages.length;
      uploadsBefore = new Set(media.files.keys());
    },
    close: () => emulator.close(),
  };
}

describe.each([
  { name: "the emulator", startBackend: startEmulatorBackend, first: true },
  { name: "the library's media fake", startBackend: startFakeBackend, first: false },
])("against $name", ({ startBackend, first }) => {
  /** Checks made before any request do not depend on the backend: declared for the first backend only. */
  const itOnce = (name: string, test: () => Promise<void>): void => {
    if (first) it(name, test);
  };
  let backend: MediaBackend;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    backend = await startBackend();
    dir = mkdtempSync(join(tmpdir(), "dingbot-media-cli-"));
    env = {
      DINGTALK_BASE_URL: backend.baseUrl,
      DINGTALK_APP_KEY: APP_KEY,
      DINGTALK_APP_SECRET: APP_SECRET,
      DINGBOT_CACHE_DIR: join(dir, "cache"),
    };
    writeFileSync(join(dir, "chart.png"), Buffer.from("\x89PNG\r\n\x1a\nchart"));
    writeFileSync(join(dir, "report.pdf"), Buffer.from("%PDF-1.4 report"));
    writeFileSync(join(dir, "note.mp3"), Buffer.from("ID3 voice"));
    writeFileSync(join(dir, "demo.mp4"), Buffer.from("....ftypmp42 video"));
    writeFileSync(join(dir, "notes.txt"), "plain text");
    writeFileSync(join(dir, "empty.png"), "");
    // Sparse files just past DingTalk's limits (voice 2 MiB, image 20 MiB): nothing is read before the check.
    writeFileSync(join(dir, "big.mp3"), "");
    truncateSync(join(dir, "big.mp3"), 2 * 1024 * 1024 + 1);
    writeFileSync(join(dir, "big.png"), "");
    truncateSync(join(dir, "big.png"), 20 * 1024 * 1024 + 1);
  });
  beforeEach(() => backend.reset());
  afterAll(async () => {
    await backend.close();
  });

  const cli = (args: string[]) => runCli(args, { env });
  /** A path in the test's directory (the CLI runs in the repository, where tsx is). */
  const f = (name: string): string => join(dir, name);

  describe("dingbot robot send with media", () => {
    it("uploads a picture and sends it to a group; an http(s) URL is sent as it is, without an upload", async () => {
      const sent = await cli([
        "robot",
        "send",
        "--conversation-id",
        backend.group,
        "--image",
        f("chart.png"),
      ]);
      expect(sent).toMatchObject({ code: 0, stderr: "" });
      expect(sent.stdout).toMatch(/^sent sampleImageMsg to group \S+ \(processQueryKey \S+\)\n$/);
      expect(sent.stdout).toContain(` to group ${backend.group} `);
      expect(backend.uploads()).toEqual([{ type: "image", fileName: "chart.png", size: 14 }]);
      const [message] = backend.robotMessages();
      expect(message).toMatchObject({
        msgKey: "sampleImageMsg",
        robotCode: APP_KEY,
        to: backend.group,
      });
      expect(message?.msgParam.photoURL).toMatch(/^\S+$/);
      expect(message?.msgParam.photoURL).not.toMatch(/^https?:/);

      backend.reset();
      const url = "https://example.com/chart.png";
      const byUrl = await cli([
        "robot",
        "send",
        "--user-id",
        "manager1234",
        "--image",
        url,
        "--output",
        "json",
      ]);
      expect(byUrl.code).toBe(0);
      expect(JSON.parse(byUrl.stdout)).toMatchObject({
        ok: true,
        invalidUserIds: [],
        flowControlledUserIds: [],
      });
      expect(backend.uploads()).toEqual([]);
      expect(backend.robotMessages()).toEqual([
        expect.objectContaining({
          msgKey: "sampleImageMsg",
          to: "manager1234",
          msgParam: { photoURL: url },
        }),
      ]);
    });

    it("sends a file under the name people see, with --robot-code", async () => {
      const sent = await cli([
        "robot",
        "send",
        "--user-id",
        "manager1234",
        "--file",
        f("report.pdf"),
        "--file-name",
        "日报.pdf",
        "--robot-code",
        APP_KEY,
      ]);
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/^sent sampleFile to 1 of 1 people \(processQueryKey \S+\)\n$/);
      expect(backend.uploads()).toEqual([{ type: "file", fileName: "日报.pdf", size: 15 }]);
      expect(backend.robotMessages()[0]).toMatchObject({
        msgKey: "sampleFile",
        robotCode: APP_KEY,
        to: "manager1234",
        msgParam: { fileName: "日报.pdf", fileType: "pdf" },
      });
    });

    it("sends a voice note with its --duration in milliseconds, and a video with its cover", async () => {
      const audio = await cli([
        "robot",
        "send",
        "--user-id",
        "u1",
        "--audio",
        f("note.mp3"),
        "--duration",
        "4.5s",
      ]);
      expect(audio.code).toBe(0);
      expect(backend.robotMessages()[0]).toMatchObject({
        msgKey: "sampleAudio",
        msgParam: { duration: "4500" },
      });
      const bare = await cli([
        "robot",
        "send",
        "--user-id",
        "u1",
        "--audio",
        f("note.mp3"),
        "--duration",
        "1200",
      ]);
      expect(bare.code).toBe(0);
      expect(backend.robotMessages()[1]).toMatchObject({ msgParam: { duration: "1200" } });

      backend.reset();
      const video = await cli([
        "robot",
        "send",
        "--conversation-id",
        backend.group,
        "--video",
        f("demo.mp4"),
        "--cover",
        f("chart.png"),
        "--duration",
        "30s",
      ]);
      expect(video.code).toBe(0);
      expect(backend.uploads().map((u) => u.type)).toEqual(["video", "image"]);
      expect(backend.robotMessages()[0]).toMatchObject({
        msgKey: "sampleVideo",
        msgParam: { duration: "30", videoType: "mp4" },
      });
    });

    it("exits 2 for a file DingTalk does not take, naming the limit, before anything is uploaded", async () => {
      const big = await cli([
        "robot",
        "send",
        "--user-id",
        "u1",
        "--audio",
        f("big.mp3"),
        "--duration",
        "1s",
      ]);
      expect(big.code).toBe(2);
      expect(big.stderr).toContain(
        "error: the voice is 2097153 bytes; DingTalk takes at most 2097152 bytes for voice",
      );
      expect(big.stderr).toContain(
        "hint: DingTalk's limits: image 20 MiB, voice 2 MiB, video 20 MiB, file 20 MiB",
      );
      const json = await cli([
        "robot",
        "send",
        "--user-id",
        "u1",
        "--image",
        f("big.png"),
        "--output",
        "json",
      ]);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: false,
        reason: "too-large",
        limitBytes: 20 * 1024 * 1024,
      });
      const format = await cli(["robot", "send", "--user-id", "u1", "--image", f("notes.txt")]);
      expect(format.code).toBe(2);
      expect(format.stderr).toMatch(/DingTalk takes image as jpg.*got "notes.txt"/);
      expect(format.stderr).toContain(
        "hint: convert it to one of those formats, or send it as a file (--file)",
      );
      const empty = await cli(["robot", "send", "--user-id", "u1", "--image", f("empty.png")]);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain("is empty");
      expect(backend.uploads()).toEqual([]);
      expect(backend.robotMessages()).toEqual([]);
    });

    itOnce("exits 2 with what was wrong and how to fix it, before any request", async () => {
      const cases: Array<[string[], RegExp]> = [
        [["--image", f("chart.png"), "--text", "hi"], /--image does not go with --text/],
        [
          ["--image", f("chart.png"), "--file", f("report.pdf")],
          /choose one message; got --image and --file/,
        ],
        [["--image", f("chart.png"), "--msg-key", "sampleText"], /--image does not go with --msg-key/],
        [
          ["--image", f("missing.png")],
          /--image \S*missing.png: cannot read \S*missing.png \(no such file\)/,
        ],
        [["--file", "."], /--file \.: .* is not a file/],
        [["--audio", f("note.mp3")], /--audio needs --duration/],
        [["--audio", f("note.mp3"), "--duration", "soon"], /--duration must be a duration, got "soon"/],
        [["--video", f("demo.mp4"), "--duration", "3s"], /--video needs --cover/],
        [["--text", "hi", "--file-name", "x.pdf"], /--file-name goes with --file/],
        [["--image", f("chart.png"), "--duration", "3s"], /--duration goes with --audio or --video/],
        [[], /nothing to send: give --text.*--image, --file, --audio or --video/],
      ];
      for (const [args, message] of cases) {
        const result = await cli(["robot", "send", "--user-id", "u1", ...args]);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr, args.join(" ")).toMatch(message);
        expect(result.stderr, args.join(" ")).toMatch(/\nhint: /);
      }
      expect(backend.uploads()).toEqual([]);
      expect(backend.robotMessages()).toEqual([]);
    });
  });

  describe("dingbot media upload", () => {
    it("prints only the media id, or the whole answer with --output json", async () => {
      const plain = await cli(["media", "upload", f("chart.png"), "--type", "image"]);
      expect(plain).toMatchObject({ code: 0, stderr: "" });
      expect(plain.stdout).toMatch(/^\S+\n$/);
      const json = await cli([
        "media",
        "upload",
        f("report.pdf"),
        "--type",
        "file",
        "--file-name",
        "周报.pdf",
        "--output",
        "json",
      ]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: true,
        mediaId: expect.any(String),
        type: "file",
        fileName: "周报.pdf",
        size: 15,
      });
      expect(backend.uploads()).toEqual([
        { type: "image", fileName: "chart.png", size: 14 },
        { type: "file", fileName: "周报.pdf", size: 15 },
      ]);
    });

    it("exits 2 without --type (suggesting one), for a missing or too-large file, and names the limit", async () => {
      const noType = await cli(["media", "upload", f("note.mp3")]);
      expect(noType.code).toBe(2);
      expect(noType.stderr).toBe(
        "error: no media type: give --type image, voice, video or file\nhint: for note.mp3: --type voice\n",
      );
      const badType = await cli(["media", "upload", f("note.mp3"), "--type", "audio"]);
      expect(badType.code).toBe(2);
      expect(badType.stderr).toMatch(/--type.*audio.*image, voice, video, file/s);
      const missing = await cli(["media", "upload", f("nope.png"), "--type", "image"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/FILE \S*nope.png: cannot read .* \(no such file\)/);
      const big = await cli(["media", "upload", f("big.mp3"), "--type", "voice", "--output", "json"]);
      expect(big.code).toBe(2);
      expect(JSON.parse(big.stdout)).toMatchObject({
        ok: false,
        reason: "too-large",
        limitBytes: 2 * 1024 * 1024,
      });
      expect(big.stderr).toContain("DingTalk takes at most 2097152 bytes for voice (nothing was sent)");
      const format = await cli(["media", "upload", f("notes.txt"), "--type", "image"]);
      expect(format.code).toBe(2);
      expect(format.stderr).toContain("or send it as a file (--type file)");
      expect(backend.uploads()).toEqual([]);
    });
  });

  describe("dingbot media download", () => {
    const photo = new Uint8Array(3000).map((_, i) => i % 251);

    it("writes the file whole to --out, or under its own name into a directory, and never prints the URL", async () => {
      const code = backend.personFile(photo, "照片.jpg");
      const saved = await cli(["media", "download", code, "--out", f("photo.jpg")]);
      expect(saved).toMatchObject({ code: 0, stderr: "" });
      // The name from the answer's Content-Disposition, then its Content-Type.
      expect(saved.stdout).toMatch(/^saved 3000 bytes to \S+ \(照片\.jpg, [\w/.+-]+\)\n$/);
      expect(saved.stdout).toContain(` to ${join(dir, "photo.jpg")} `);
      expect(new Uint8Array(readFileSync(join(dir, "photo.jpg")))).toEqual(photo);

      mkdirSync(join(dir, "inbox"), { recursive: true });
      const json = await cli(["media", "download", code, "--out", f("inbox"), "--output", "json"]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: true,
        path: join(dir, "inbox", "照片.jpg"),
        bytes: 3000,
        fileName: "照片.jpg",
      });
      expect(readFileSync(join(dir, "inbox", "照片.jpg")).byteLength).toBe(3000);
      for (const text of [saved.stdout, saved.stderr, json.stdout, json.stderr]) {
        expect(text).not.toMatch(/https?:\/\/|Signature=|OSSAccessKeyId/);
      }
    });

    it("exits 1 past --max-bytes and leaves no file behind", async () => {
      const code = backend.personFile(photo, "big.bin");
      writeFileSync(join(dir, "kept.bin"), "old");
      const result = await cli(["media", "download", code, "--out", f("kept.bin"), "--max-bytes", "1K"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/larger than the limit of 1024 bytes/);
      expect(result.stderr).toContain("hint: raise --max-bytes");
      expect(readFileSync(join(dir, "kept.bin"), "utf8")).toBe("old");
      expect(readdirSync(dir).filter((name) => name.endsWith(".part"))).toEqual([]);
      const json = await cli([
        "media",
        "download",
        code,
        "--out",
        f("new.bin"),
        "--max-bytes",
        "2000",
        "--output",
        "json",
      ]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, reason: "too-large", limitBytes: 2000 });
      expect(existsSync(join(dir, "new.bin"))).toBe(false);
    });

    it("exits 1 when DingTalk refuses the downloadCode, saying why and what to do", async () => {
      const result = await cli([
        "media",
        "download",
        "no-such-code",
        "--out",
        f("x.bin"),
        "--output",
        "json",
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /error: DingTalk refused the downloadCode .*unknown, expired, or was sent to another robot/,
      );
      expect(result.stderr).toMatch(/hint: .*--robot-code/);
      expect(JSON.parse(result.stdout)).toMatchObject({
        ok: false,
        reason: "download-code",
        code: expect.stringMatching(/downloadCode/),
      });
      expect(existsSync(join(dir, "x.bin"))).toBe(false);
    });

    itOnce("exits 2 for bad usage before any request", async () => {
      const cases: Array<[string[], RegExp]> = [
        [["code"], /no destination: give --out FILE/],
        [["code", "--out", "x", "--max-bytes", "lots"], /--max-bytes must be a size in bytes, got "lots"/],
        [["code", "--out", "x", "--timeout", "later"], /--timeout must be a duration/],
        [["code", "--out", "no/such/dir/x"], /--out no\/such\/dir\/x: no such directory/],
        [["", "--out", "x"], /the downloadCode is empty/],
      ];
      for (const [args, message] of cases) {
        const result = await cli(["media", "download", ...args]);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr, args.join(" ")).toMatch(message);
        expect(result.stderr, args.join(" ")).toMatch(/\nhint: /);
      }
    });

    it("never prints the app secret", () => {
      expect(ALL_OUTPUT.join("\n")).not.toContain(APP_SECRET);
    });
  });
});
