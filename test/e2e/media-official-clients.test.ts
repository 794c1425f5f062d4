/**
 * Official clients against the emulator's media, unchanged: the `dingtalk-stream` Node SDK receives a
 * person's picture, file and rich text over Stream (the same bodies an HTTP bot gets), and DingTalk's OpenAPI
 * SDK `@alicloud/dingtalk` (robot_1_0 `robotMessageFileDownloadWithOptions`) turns the downloadCode into a URL
 * that serves the bytes. Also: a 20 MiB file goes up and comes back down, streamed.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import * as $OpenApi from "@alicloud/openapi-client";
import * as $Util from "@alicloud/tea-util";
import { DWClient, TOPIC_ROBOT } from "dingtalk-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { muteSdkConsole, pointAtEmulator } from "../helpers/official-sdk.js";
import { post as postJson, type StreamWorld, startStreamWorld, waitUntil } from "./stream-helpers.js";

// DingTalk's OpenAPI SDK is CommonJS without type entry points per product: load its robot_1_0 client as
// node would, typed by its own declarations.
const $Robot = createRequire(import.meta.url)(
  "@alicloud/dingtalk/dist/robot_1_0/client.js",
) as typeof import("@alicloud/dingtalk/dist/robot_1_0/client.js");
type RobotClient = InstanceType<(typeof $Robot)["default"]>;

/** POSTs JSON to the world's emulator and returns its JSON answer. */
const post = (world: StreamWorld, path: string, body: unknown) => postJson(world.baseUrl, path, body);

async function upload(world: StreamWorld, fileName: string, bytes: Uint8Array<ArrayBuffer>, type: string) {
  const form = new FormData();
  form.append("media", new Blob([bytes], { type }), fileName);
  const response = await fetch(`${world.baseUrl}/_emulator/media`, { method: "POST", body: form });
  return ((await response.json()) as { mediaId: string }).mediaId;
}

function robotClient(baseUrl: string): RobotClient {
  const url = new URL(baseUrl);
  return new $Robot.default(
    new $OpenApi.Config({ protocol: "http", endpoint: url.host, regionId: "central" }),
  );
}

describe("official clients and the emulator's media", () => {
  let world: StreamWorld;
  let client: DWClient | undefined;
  let unmute = () => {};
  beforeEach(async () => {
    world = await startStreamWorld({ pingIntervalMs: 60_000 });
    unmute = muteSdkConsole();
  });
  afterEach(async () => {
    client?.disconnect();
    client = undefined;
    await world.emulator.close();
    unmute();
  });

  it("the Stream SDK receives picture, file, rich text, voice and a quoted reply; robot_1_0 downloads the file", async () => {
    const app = world.app;
    await post(world, "/_emulator/users", { userId: "lisi", name: "李四" });
    const chat = await post(world, "/_emulator/conversations", {
      type: "single",
      members: ["lisi"],
      robots: [app.robotCode],
    });
    const path = `/_emulator/conversations/${encodeURIComponent(String(chat.conversationId))}/messages`;
    client = new DWClient({ clientId: app.appKey, clientSecret: app.appSecret });
    pointAtEmulator(client, world.baseUrl);
    const received: Array<Record<string, unknown>> = [];
    client.registerCallbackListener(TOPIC_ROBOT, (res) => {
      received.push(JSON.parse(res.data) as Record<string, unknown>);
      client?.socketCallBackResponse(res.headers.messageId, { ok: true });
    });
    await client.connect();
    await waitUntil(() => world.emulator.ctx.stream?.isConnected(app.appKey) === true, "the SDK to connect");

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9, 9, 9]);
    const picture = await upload(world, "photo.png", png, "image/png");
    const doc = await upload(world, "合同.pdf", new Uint8Array([1, 2, 3, 4]), "application/pdf");
    expect(
      await post(world, path, { from: "lisi", msgtype: "picture", content: { mediaId: picture } }),
    ).toMatchObject({
      delivered: true,
    });
    expect(
      await post(world, path, { from: "lisi", msgtype: "file", content: { mediaId: doc } }),
    ).toMatchObject({
      delivered: true,
    });
    expect(
      await post(world, path, {
        from: "lisi",
        msgtype: "richText",
        content: { richText: [{ text: "这张" }, { type: "picture", mediaId: picture }] },
      }),
    ).toMatchObject({ delivered: true });
    const voice = await upload(world, "v.amr", new Uint8Array([5, 5]), "audio/amr");
    const said = await post(world, path, {
      from: "lisi",
      msgtype: "audio",
      content: { mediaId: voice, duration: 2000, recognition: "好的" },
    });
    expect(
      await post(world, path, { from: "lisi", content: "同意", quote: { msgId: said.msgId } }),
    ).toMatchObject({
      delivered: true,
    });
    await waitUntil(() => received.length === 5, "five messages over Stream");
    expect(received[3]).toMatchObject({
      msgtype: "audio",
      content: { duration: 2000, downloadCode: expect.any(String), recognition: "好的" },
    });
    expect(received[4]).toMatchObject({
      msgtype: "text",
      text: {
        content: "同意",
        isReplyMsg: true,
        repliedMsg: { msgType: "audio", msgId: said.msgId, content: { downloadCode: expect.any(String) } },
      },
    });
    expect(received[0]).toMatchObject({
      msgtype: "picture",
      conversationType: "1",
      robotCode: app.robotCode,
      content: { downloadCode: expect.any(String), pictureDownloadCode: expect.any(String) },
    });
    expect(received[1]).toMatchObject({
      msgtype: "file",
      content: {
        fileName: "合同.pdf",
        downloadCode: expect.any(String),
        spaceId: expect.any(String),
        fileId: expect.any(String),
      },
    });
    expect((received[2]!.content as { richText: unknown[] }).richText).toEqual([
      { text: "这张" },
      { pictureDownloadCode: expect.any(String), downloadCode: expect.any(String), type: "picture" },
    ]);

    // DingTalk's OpenAPI SDK, as a bot would call it: token from oauth2, then messageFiles/download.
    const token = (
      await post(world, "/v1.0/oauth2/accessToken", { appKey: app.appKey, appSecret: app.appSecret })
    ).accessToken as string;
    const robot = robotClient(world.baseUrl);
    const headers = new $Robot.RobotMessageFileDownloadHeaders({ xAcsDingtalkAccessToken: token });
    const downloadCode = (received[1]!.content as { downloadCode: string }).downloadCode;
    const answer = await robot.robotMessageFileDownloadWithOptions(
      new $Robot.RobotMessageFileDownloadRequest({ downloadCode, robotCode: app.robotCode }),
      headers,
      new $Util.RuntimeOptions({}),
    );
    expect(answer.statusCode).toBe(200);
    const url = answer.body?.downloadUrl ?? "";
    const file = await fetch(url);
    expect(file.headers.get("content-type")).toBe("application/pdf");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4]));

    // The SDK surfaces DingTalk's error code for an unknown code.
    const refused = await robot
      .robotMessageFileDownloadWithOptions(
        new $Robot.RobotMessageFileDownloadRequest({ downloadCode: "unknown", robotCode: app.robotCode }),
        headers,
        new $Util.RuntimeOptions({}),
      )
      .then(
        () => undefined,
        (error: { code?: string; statusCode?: number }) => error,
      );
    expect(refused).toMatchObject({ code: "invalidParameter.downloadCode.invalid", statusCode: 400 });
  });

  it("uploads and downloads 20 MiB, streamed", async () => {
    const size = 20 * 1024 * 1024;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = i % 251;
    const digest = createHash("sha256").update(bytes).digest("hex");
    const token = String(
      (
        (await (
          await fetch(`${world.baseUrl}/gettoken?appkey=${world.app.appKey}&appsecret=${world.app.appSecret}`)
        ).json()) as {
          access_token: string;
        }
      ).access_token,
    );
    const form = new FormData();
    form.append("media", new Blob([bytes]), "big.zip");
    const response = await fetch(`${world.baseUrl}/media/upload?access_token=${token}&type=file`, {
      method: "POST",
      body: form,
    });
    const answer = (await response.json()) as { errcode: number; media_id: string };
    expect(answer.errcode).toBe(0);
    // Held once, as the slices it arrived in (never joined into a second copy).
    const stored = world.emulator.ctx.media.get(answer.media_id)!;
    expect(stored.size).toBe(size);
    expect(stored.chunks.length).toBeGreaterThan(10);
    expect(world.emulator.ctx.media.storedBytes).toBe(size);

    // A person sends the same size; the bot downloads it through the signed URL.
    const mediaId = await upload(world, "big.zip", bytes, "application/zip");
    expect(world.emulator.ctx.media.get(mediaId)!.chunks.length).toBeGreaterThan(10);
    const file = world.emulator.ctx.media.get(mediaId)!;
    const code = world.emulator.ctx.media.mintCode(file.id, world.app.robotCode).code;
    const apiToken = (await (
      await fetch(`${world.baseUrl}/v1.0/oauth2/accessToken`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ appKey: world.app.appKey, appSecret: world.app.appSecret }),
      })
    ).json()) as { accessToken: string };
    const download = (await (
      await fetch(`${world.baseUrl}/v1.0/robot/messageFiles/download`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": apiToken.accessToken },
        body: JSON.stringify({ downloadCode: code, robotCode: world.app.robotCode }),
      })
    ).json()) as { downloadUrl: string };
    const served = await fetch(download.downloadUrl);
    expect(served.headers.get("content-length")).toBe(String(size));
    const hash = createHash("sha256");
    let received = 0;
    for await (const chunk of served.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.byteLength;
    }
    expect(received).toBe(size);
    expect(hash.digest("hex")).toBe(digest);
  });
});
