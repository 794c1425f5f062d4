/**
 * Media on the emulator over real sockets: a person's picture, voice, video, file, rich text, markdown,
 * interactive card, chat record, unknown kind and quoted reply reach an HTTP bot with DingTalk's callback
 * bodies (shapes of protocol 2.3 / 7.1: developerpedia's message.md and the official Python SDK); their
 * downloadCodes redeem through `messageFiles/download` (valid, unknown, expired, another robot's) and the
 * signed URL serves the bytes; `/media/upload` takes files within DingTalk's limits and refuses the others
 * with its errcodes; robot OpenAPI media replies are recorded with their files resolved.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const APP_KEY = "dingmediaapp";
const APP_SECRET = "media-app-secret";

interface World {
  emulator: Emulator;
  base: string;
  bot: { url: string; bodies: Record<string, unknown>[]; close: () => Promise<void> };
  clock: { now: number };
  group: string;
  single: string;
}

async function startBot(): Promise<World["bot"]> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"msgtype":"empty"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function json(
  base: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function startWorld(): Promise<World> {
  const clock = { now: Date.now() };
  const emulator = createEmulator({ now: () => clock.now, callbackAttempts: 1 });
  const base = await emulator.listen(0);
  const bot = await startBot();
  await json(base, "/_emulator/apps", {
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    name: "媒体机器人",
    callbackUrl: bot.url,
    mode: "http",
  });
  await json(base, "/_emulator/users", { userId: "zhangsan", name: "张三" });
  const group = await json(base, "/_emulator/conversations", {
    type: "group",
    title: "媒体群",
    members: ["zhangsan"],
    robots: [APP_KEY],
  });
  const single = await json(base, "/_emulator/conversations", {
    type: "single",
    members: ["zhangsan"],
    robots: [APP_KEY],
  });
  return {
    emulator,
    base,
    bot,
    clock,
    group: String(group.json.conversationId),
    single: String(single.json.conversationId),
  };
}

/** Uploads a person's file through the control API (multipart). */
async function personFile(
  world: World,
  fileName: string,
  bytes: Uint8Array<ArrayBuffer>,
  type: string,
): Promise<string> {
  const form = new FormData();
  form.append("media", new Blob([bytes], { type }), fileName);
  const response = await fetch(`${world.base}/_emulator/media`, { method: "POST", body: form });
  expect(response.status).toBe(201);
  const info = (await response.json()) as { mediaId: string; size: number; fileName: string };
  expect(info).toMatchObject({ fileName, size: bytes.byteLength, contentType: type });
  return info.mediaId;
}

async function say(world: World, conversationId: string, input: Record<string, unknown>) {
  const answer = await json(
    world.base,
    `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
    {
      from: "zhangsan",
      ...input,
    },
  );
  return answer;
}

async function apiToken(world: World): Promise<string> {
  const { json: answer } = await json(world.base, "/v1.0/oauth2/accessToken", {
    appKey: APP_KEY,
    appSecret: APP_SECRET,
  });
  return String(answer.accessToken);
}

async function oapiToken(world: World): Promise<string> {
  const { json: answer } = await json(world.base, `/gettoken?appkey=${APP_KEY}&appsecret=${APP_SECRET}`);
  return String(answer.access_token);
}

const BASE_KEYS = [
  "conversationId",
  "chatbotCorpId",
  "chatbotUserId",
  "msgId",
  "senderNick",
  "isAdmin",
  "senderStaffId",
  "sessionWebhookExpiredTime",
  "createAt",
  "senderCorpId",
  "conversationType",
  "senderId",
  "senderUnionId",
  "isInAtList",
  "sessionWebhook",
  "robotCode",
  "msgtype",
];

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

describe("media on the emulator", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.emulator.close();
    await world.bot.close();
  });

  it("delivers every inbound kind with DingTalk's callback body", async () => {
    const picture = await personFile(world, "cat.png", PNG, "image/png");
    const voice = await personFile(world, "voice.amr", new Uint8Array([1, 2, 3]), "audio/amr");
    const video = await personFile(world, "clip.mp4", new Uint8Array([4, 5, 6]), "video/mp4");
    const doc = await personFile(world, "报告.pdf", new Uint8Array([7, 8, 9]), "application/pdf");
    const sends: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [
        { msgtype: "picture", content: { mediaId: picture } },
        { content: { pictureDownloadCode: expect.any(String), downloadCode: expect.any(String) } },
      ],
      [
        { msgtype: "audio", content: { mediaId: voice, duration: 4000, recognition: "你好机器人" } },
        { content: { duration: 4000, downloadCode: expect.any(String), recognition: "你好机器人" } },
      ],
      [
        { msgtype: "video", content: { mediaId: video, duration: "5" } },
        { content: { duration: "5", videoType: "mp4", downloadCode: expect.any(String) } },
      ],
      [
        { msgtype: "file", content: { mediaId: doc } },
        {
          content: {
            spaceId: expect.stringMatching(/^\d+$/),
            fileName: "报告.pdf",
            downloadCode: expect.any(String),
            fileId: expect.stringMatching(/^\d+$/),
          },
        },
      ],
      [
        {
          msgtype: "richText",
          content: { richText: [{ text: "看图" }, { type: "picture", mediaId: picture }, { text: "谢谢" }] },
        },
        {
          content: {
            richText: [
              { text: "看图" },
              { pictureDownloadCode: expect.any(String), downloadCode: expect.any(String), type: "picture" },
              { text: "谢谢" },
            ],
          },
        },
      ],
      [{ msgtype: "markdown", content: { text: "**粗体**" } }, { content: { text: "**粗体**" } }],
      [
        { msgtype: "interactiveCard", content: { biz_custom_action_url: "dingtalk://x" } },
        { content: { biz_custom_action_url: "dingtalk://x" } },
      ],
      [
        {
          msgtype: "chatRecord",
          content: {
            chatRecord: [{ senderNick: "李四", msgType: "text", content: "旧消息" }],
            summary: "聊天记录",
          },
        },
        {
          content: {
            chatRecord: JSON.stringify([{ senderNick: "李四", msgType: "text", content: "旧消息" }]),
            summary: "聊天记录",
          },
        },
      ],
      [
        {
          msgtype: "unknownMsgType",
          content: { unknownMsgType: "用户发送了一条消息，机器人暂不支持接收。" },
        },
        { content: { unknownMsgType: "用户发送了一条消息，机器人暂不支持接收。" } },
      ],
      [{ msgtype: "hologram", content: { shape: "cube" } }, { content: { shape: "cube" } }],
    ];
    for (const [input, expected] of sends) {
      const answer = await say(world, world.group, { ...input, atRobot: APP_KEY });
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(answer.json.delivered).toBe(true);
      const body = world.bot.bodies.at(-1)!;
      expect(body.msgtype).toBe(input.msgtype);
      expect(body).toMatchObject(expected);
      expect(Object.keys(body).sort()).toEqual(
        [...BASE_KEYS, "atUsers", "conversationTitle", ...Object.keys(expected)].sort(),
      );
    }
    // The old form still works and a text arrives with the space DingTalk leaves after @robot.
    await say(world, world.group, { text: "老格式", atRobot: APP_KEY });
    expect(world.bot.bodies.at(-1)).toMatchObject({ msgtype: "text", text: { content: " 老格式" } });
  });

  it("records what the page needs to render media and quotes", async () => {
    const voice = await personFile(world, "v.mp3", new Uint8Array([1, 2]), "audio/mpeg");
    const sent = await say(world, world.single, {
      msgtype: "audio",
      content: { mediaId: voice, duration: 3000, recognition: "明天开会" },
    });
    const quoted = await say(world, world.single, {
      msgtype: "text",
      content: "收到",
      quote: { msgId: sent.json.msgId },
    });
    expect(quoted.json.delivered).toBe(true);
    const callback = world.bot.bodies.at(-1)!;
    expect(callback.text).toEqual({
      content: "收到",
      isReplyMsg: true,
      repliedMsg: {
        msgType: "audio",
        msgId: sent.json.msgId,
        senderId: expect.stringMatching(/^\$:LWCP_v1:\$/),
        senderNick: "张三",
        createdAt: expect.any(Number),
        content: { downloadCode: expect.any(String) },
      },
    });
    const { json: list } = await json(
      world.base,
      `/_emulator/messages?conversationId=${encodeURIComponent(world.single)}`,
    );
    const messages = list as unknown as Array<{
      id: string;
      body: Record<string, unknown>;
      meta: Record<string, unknown>;
    }>;
    const audio = messages.find((m) => m.body.msgtype === "audio")!;
    expect(audio.meta.media).toEqual([
      {
        kind: "audio",
        mediaId: voice,
        fileName: "v.mp3",
        contentType: "audio/mpeg",
        size: 2,
        downloadPath: `/_emulator/media/${voice}`,
        duration: 3000,
        recognition: "明天开会",
      },
    ]);
    const reply = messages.find((m) => m.meta.quote !== undefined)!;
    expect(reply.meta.quote).toEqual({
      msgId: sent.json.msgId,
      messageId: audio.id,
      msgtype: "audio",
      senderName: "张三",
    });
    const served = await fetch(`${world.base}/_emulator/media/${voice}`);
    expect(served.headers.get("content-type")).toBe("audio/mpeg");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(new Uint8Array([1, 2]));
  });

  it("takes a person's file as a form or as JSON, within its limit, from its own origin only", async () => {
    const json64 = await json(world.base, "/_emulator/media", {
      fileName: "note.txt",
      base64: Buffer.from("你好").toString("base64"),
    });
    expect(json64.status).toBe(201);
    expect(json64.json).toMatchObject({
      fileName: "note.txt",
      contentType: "text/plain; charset=utf-8",
      size: 6,
    });
    const served = await fetch(`${world.base}${json64.json.downloadPath}`);
    expect(await served.text()).toBe("你好");
    expect(served.headers.get("content-security-policy")).toContain("sandbox");
    expect(served.headers.get("content-disposition")).toMatch(/^inline;/);
    const page = await json(world.base, "/_emulator/media", {
      fileName: "x.html",
      contentType: "text/html",
      base64: "PGI+",
    });
    const html = await fetch(`${world.base}${page.json.downloadPath}`);
    expect(html.headers.get("content-disposition")).toMatch(/^attachment;/);

    const bad = [
      [{ fileName: "a.txt", base64: "" }, 400, /empty/],
      [{ fileName: "../a.txt", base64: "QQ==" }, 400, /fileName/],
      [{ base64: "QQ==" }, 400, /fileName/],
      [{ fileName: "a.txt", base64: "!!" }, 400, /base64/],
    ] as const;
    for (const [body, status, error] of bad) {
      const answer = await json(world.base, "/_emulator/media", body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(String(answer.json.error)).toMatch(error);
    }
    const noFile = new FormData();
    noFile.append("other", "x");
    const refused = await fetch(`${world.base}/_emulator/media`, { method: "POST", body: noFile });
    expect(refused.status).toBe(400);

    // A form is taken by this route only, and never from another origin.
    const form = new FormData();
    form.append("media", new Blob([PNG]), "a.png");
    const foreign = await fetch(`${world.base}/_emulator/media`, {
      method: "POST",
      body: form,
      headers: { origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const elsewhere = await fetch(`${world.base}/_emulator/robots`, { method: "POST", body: form });
    expect(elsewhere.status).toBe(415);
  });

  it("refuses a person's file over mediaMaxFileBytes with 413", async () => {
    const small = createEmulator({ mediaMaxFileBytes: 10 });
    const base = await small.listen(0);
    try {
      const form = new FormData();
      form.append("media", new Blob([new Uint8Array(11)]), "a.bin");
      const over = await fetch(`${base}/_emulator/media`, { method: "POST", body: form });
      expect(over.status).toBe(413);
      const json64 = await json(base, "/_emulator/media", {
        fileName: "a.bin",
        base64: Buffer.alloc(11).toString("base64"),
      });
      expect(json64.status).toBe(413);
      const fits = new FormData();
      fits.append("media", new Blob([new Uint8Array(10)]), "a.bin");
      expect((await fetch(`${base}/_emulator/media`, { method: "POST", body: fits })).status).toBe(201);
    } finally {
      await small.close();
    }
  });

  it("refuses bad person messages with a reason", async () => {
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ msgtype: "picture", content: { mediaId: "emu-nope" } }, 404, /no file/],
      [{ msgtype: "picture", content: {} }, 400, /mediaId/],
      [{ msgtype: "audio", content: { mediaId: "x" } }, 404, /no file/],
      [{ msgtype: "picture", content: { mediaId: "x" }, quote: { msgId: "m" } }, 400, /only a text/],
      [{ msgtype: "text", content: "hi", quote: { msgId: "msgUnknown" } }, 404, /quote/],
      [{ msgtype: "interactiveCard", content: { biz_custom_action_url: 5 } }, 400, /content/],
      [{ msgtype: "bad type!" }, 400, /msgtype/],
    ];
    for (const [input, status, error] of cases) {
      const answer = await say(world, world.single, input);
      expect(answer.status, JSON.stringify(input)).toBe(status);
      expect(String(answer.json.error)).toMatch(error);
    }
  });

  it("downloads a valid code, refuses unknown, expired and another robot's codes, and expires URLs", async () => {
    const picture = await personFile(world, "猫.png", PNG, "image/png");
    await say(world, world.single, { msgtype: "picture", content: { mediaId: picture } });
    const code = String((world.bot.bodies.at(-1)!.content as Record<string, unknown>).downloadCode);
    const token = await apiToken(world);
    const headers = { "x-acs-dingtalk-access-token": token };
    const path = "/v1.0/robot/messageFiles/download";

    const ok = await json(world.base, path, { downloadCode: code, robotCode: APP_KEY }, headers);
    expect(ok.status).toBe(200);
    const url = String(ok.json.downloadUrl);
    expect(url).toMatch(/\/oss\/robot-files\/.+\?Expires=\d+&OSSAccessKeyId=\w+&Signature=/);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    expect(file.headers.get("content-length")).toBe(String(PNG.byteLength));
    expect(file.headers.get("content-disposition")).toBe(
      `attachment; filename="_.png"; filename*=UTF-8''${encodeURIComponent("猫.png")}`,
    );
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PNG);

    const forged = await fetch(url.replace(/Signature=[^&]+/, "Signature=AAAA"));
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("<Code>SignatureDoesNotMatch</Code>");

    const unknown = await json(world.base, path, { downloadCode: "nope", robotCode: APP_KEY }, headers);
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({
      code: "invalidParameter.downloadCode.invalid",
      requestid: expect.any(String),
    });

    const missing = await json(world.base, path, { robotCode: APP_KEY }, headers);
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe("invalidParameter.param.invalid");

    const noToken = await json(world.base, path, { downloadCode: code, robotCode: APP_KEY });
    expect(noToken.status).toBe(400);
    expect(noToken.json.code).toBe("AuthenticationFailed.MissingParameter");

    // Another robot of another app cannot redeem it.
    await json(world.base, "/_emulator/apps", {
      appKey: "dingother",
      appSecret: "other-secret",
      mode: "http",
    });
    const other = await json(world.base, "/v1.0/oauth2/accessToken", {
      appKey: "dingother",
      appSecret: "other-secret",
    });
    const otherHeaders = { "x-acs-dingtalk-access-token": String(other.json.accessToken) };
    const foreign = await json(
      world.base,
      path,
      { downloadCode: code, robotCode: "dingother" },
      otherHeaders,
    );
    expect(foreign.json.code).toBe("invalidParameter.downloadCode.invalid");

    // The URL lives 5 minutes, the code an hour.
    world.clock.now += 5 * 60_000 + 1000;
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain("<Code>AccessDenied</Code>");
    const again = await json(
      world.base,
      path,
      { downloadCode: code, robotCode: APP_KEY },
      {
        "x-acs-dingtalk-access-token": await apiToken(world),
      },
    );
    expect(again.status).toBe(200);
    world.clock.now += 60 * 60_000;
    const expired = await json(
      world.base,
      path,
      { downloadCode: code, robotCode: APP_KEY },
      {
        "x-acs-dingtalk-access-token": await apiToken(world),
      },
    );
    expect(expired.status).toBe(400);
    expect(expired.json.code).toBe("invalidParameter.downloadCode.expired");

    // Rejections never hold a code or a URL.
    const { json: rejections } = await json(world.base, "/_emulator/rejections");
    const text = JSON.stringify(rejections);
    expect(text).not.toContain(code);
    expect(text).not.toContain("Signature=");
  });

  it("uploads within DingTalk's limits and refuses the rest with its errcodes", async () => {
    const token = await oapiToken(world);
    const upload = async (
      type: string,
      name: string | undefined,
      bytes: Uint8Array<ArrayBuffer>,
      field = "media",
    ) => {
      const form = new FormData();
      if (name !== undefined) form.append(field, new Blob([bytes]), name);
      else form.append("other", "x");
      const response = await fetch(`${world.base}/media/upload?access_token=${token}&type=${type}`, {
        method: "POST",
        body: form,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const ok = await upload("image", "a.png", PNG);
    expect(ok).toEqual({
      errcode: 0,
      errmsg: "ok",
      media_id: expect.stringMatching(/^@/),
      type: "image",
      created_at: expect.any(Number),
    });
    expect(await upload("file", "notes.txt", new Uint8Array([1]))).toMatchObject({
      errcode: 0,
      type: "file",
    });
    expect(await upload("voice", "big.mp3", new Uint8Array(2 * 1024 * 1024 + 1))).toEqual({
      errcode: 40006,
      errmsg: "不合法的文件大小",
    });
    expect(await upload("voice", "ok.mp3", new Uint8Array(2 * 1024 * 1024))).toMatchObject({ errcode: 0 });
    // Declared far past the limit: refused before the body is read, and the answer still arrives.
    expect(await upload("image", "huge.png", new Uint8Array(21 * 1024 * 1024))).toMatchObject({
      errcode: 40006,
    });
    expect(await upload("image", "a.txt", PNG)).toEqual({ errcode: 40005, errmsg: "不合法的文件类型" });
    expect(await upload("video", "a.avi", PNG)).toMatchObject({ errcode: 40005 });
    expect(await upload("image", undefined, PNG)).toEqual({ errcode: 41005, errmsg: "缺少多媒体文件数据" });
    expect(await upload("image", "a.png", PNG, "file")).toMatchObject({ errcode: 41005 });
    expect(await upload("image", "empty.png", new Uint8Array(0))).toMatchObject({ errcode: 40006 });
    expect(await upload("gif", "a.gif", PNG)).toEqual({ errcode: 40004, errmsg: "不合法的媒体文件类型" });
    const noToken = await fetch(`${world.base}/media/upload?type=image`, {
      method: "POST",
      body: new FormData(),
    });
    expect(await noToken.json()).toMatchObject({ errcode: 41001 });
    const badToken = await fetch(`${world.base}/media/upload?access_token=nope&type=image`, {
      method: "POST",
      body: new FormData(),
    });
    expect(await badToken.json()).toMatchObject({ errcode: 40014 });
    const notForm = await fetch(`${world.base}/media/upload?access_token=${token}&type=image`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await notForm.json()).toMatchObject({ errcode: 41005 });
  });

  it("records robot OpenAPI media replies with their files resolved", async () => {
    const token = await oapiToken(world);
    const up = async (type: string, name: string, bytes: Uint8Array<ArrayBuffer>) => {
      const form = new FormData();
      form.append("media", new Blob([bytes]), name);
      const response = await fetch(`${world.base}/media/upload?access_token=${token}&type=${type}`, {
        method: "POST",
        body: form,
      });
      return String(((await response.json()) as Record<string, unknown>).media_id);
    };
    const image = await up("image", "chart.png", PNG);
    const voice = await up("voice", "hi.amr", new Uint8Array(10));
    const doc = await up("file", "周报.xlsx", new Uint8Array(20));
    const clip = await up("video", "demo.mp4", new Uint8Array(30));
    const api = await apiToken(world);
    const send = (msgKey: string, msgParam: Record<string, string>) =>
      json(
        world.base,
        "/v1.0/robot/groupMessages/send",
        { robotCode: APP_KEY, openConversationId: world.group, msgKey, msgParam: JSON.stringify(msgParam) },
        { "x-acs-dingtalk-access-token": api },
      );
    expect((await send("sampleImageMsg", { photoURL: image })).status).toBe(200);
    expect((await send("sampleAudio", { mediaId: voice, duration: "3000" })).status).toBe(200);
    expect((await send("sampleFile", { mediaId: doc, fileName: "周报.xlsx", fileType: "xlsx" })).status).toBe(
      200,
    );
    expect(
      (await send("sampleVideo", { duration: "5", videoMediaId: clip, videoType: "mp4", picMediaId: image }))
        .status,
    ).toBe(200);
    const unknown = await send("sampleFile", { mediaId: "@nope", fileName: "x.pdf", fileType: "pdf" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe("invalidParameter.mediaId.invalid");

    const { json: list } = await json(
      world.base,
      `/_emulator/messages?conversationId=${encodeURIComponent(world.group)}`,
    );
    const sent = (
      list as unknown as Array<{ via: string; body: Record<string, unknown>; meta: Record<string, unknown> }>
    ).filter((m) => m.via === "openapi");
    expect(sent.map((m) => m.body.msgtype)).toEqual(["image", "audio", "file", "video"]);
    expect(sent[0]!.meta.media).toEqual([
      expect.objectContaining({
        kind: "picture",
        mediaId: image,
        fileName: "chart.png",
        contentType: "image/png",
        size: PNG.byteLength,
      }),
    ]);
    expect(sent[1]!.meta.media).toEqual([
      expect.objectContaining({ kind: "audio", duration: "3000", size: 10 }),
    ]);
    expect(sent[2]!.meta).toMatchObject({
      processQueryKey: expect.any(String),
      media: [expect.objectContaining({ fileName: "周报.xlsx" })],
    });
    expect(sent[3]!.meta.media).toEqual([
      expect.objectContaining({
        kind: "video",
        mediaId: clip,
        cover: expect.objectContaining({ mediaId: image }),
      }),
    ]);
    const served = await fetch(
      `${world.base}${(sent[2]!.meta.media as Array<{ downloadPath: string }>)[0]!.downloadPath}`,
    );
    expect(served.status).toBe(200);
    expect(served.headers.get("content-disposition")).toMatch(/^attachment;/);

    // A person quotes the robot's image: the bot gets a picture quote with a code it can redeem.
    const imageRecord = (list as unknown as Array<{ id: string; via: string }>).filter(
      (m) => m.via === "openapi",
    )[0]!;
    const quoted = await say(world, world.group, {
      content: "这图不错",
      quote: { messageId: imageRecord.id },
      atRobot: APP_KEY,
    });
    expect(quoted.json.delivered).toBe(true);
    const replied = (world.bot.bodies.at(-1)!.text as { repliedMsg: Record<string, unknown> }).repliedMsg;
    expect(replied).toMatchObject({
      msgType: "picture",
      senderNick: "媒体机器人",
      content: { downloadCode: expect.any(String) },
    });
    const url = await json(
      world.base,
      "/v1.0/robot/messageFiles/download",
      { downloadCode: (replied.content as { downloadCode: string }).downloadCode, robotCode: APP_KEY },
      { "x-acs-dingtalk-access-token": api },
    );
    expect(new Uint8Array(await (await fetch(String(url.json.downloadUrl))).arrayBuffer())).toEqual(PNG);
  });
});
