/**
 * `dingbot card send | update | stream` end to end: the real CLI (spawned from source) against an in-test
 * DingTalk that plays the token and card endpoints and keeps each card's state (template, space, data,
 * streamed text) and can script refusals; test/e2e/card-cli-emulator.test.ts runs the commands against the
 * emulator. The assertions read the state through the small {@link CardBackend} interface.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALL_OUTPUT, runCli, spawnCliWithStdin } from "../helpers/cli.js";
import { waitUntil } from "./stream-helpers.js";

const APP_KEY = "dingcardcli0007";
const APP_SECRET = "card-cli-secret-8f7e6d5c4b3a29181716151413121110";
const AI_TEMPLATE = "382e4302-551d-4880-bf29-a30acfab2e71.schema";

/** One card as DingTalk would hold it. */
interface CardState {
  outTrackId: string;
  templateId: string;
  openSpaceId: string;
  robotCode: string | undefined;
  /** The public data, merged as DingTalk merges it. */
  data: Record<string, string>;
  /** Every streaming call, in order. */
  streams: Array<{ key: string; content: string; isFinalize: boolean; isError: boolean }>;
}

/** What the tests need from a DingTalk with cards: the fake below now, the emulator later. */
interface CardBackend {
  baseUrl: string;
  card(outTrackId: string): CardState | undefined;
  cards(): CardState[];
  /** Robot OpenAPI messages (the markdown fallback), as sent. */
  robotMessages(): Array<Record<string, unknown>>;
  /** Makes the next call to `METHOD /path` answer with this status and body. */
  refuseNext(route: string, status: number, body: unknown): void;
  reset(): void;
  close(): Promise<void>;
}

async function startFakeCardBackend(): Promise<CardBackend> {
  const cards = new Map<string, CardState>();
  const robotMessages: Array<Record<string, unknown>> = [];
  const refusals = new Map<string, Array<{ status: number; body: unknown }>>();
  const token = "fake-card-token-abcdef0123456789";
  const send = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const route = `${req.method} ${(req.url ?? "").split("?")[0]}`;
      // biome-ignore lint/suspicious/noExplicitAny: a fake reads the JSON as loosely as DingTalk's docs describe it
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, any>;
      if (route === "POST /v1.0/oauth2/accessToken") {
        if (body.appKey !== APP_KEY || body.appSecret !== APP_SECRET) {
          return send(res, 400, {
            code: "invalidClientIdOrSecret",
            message: "无效的clientId或者clientSecret",
          });
        }
        return send(res, 200, { accessToken: token, expireIn: 7200 });
      }
      if (req.headers["x-acs-dingtalk-access-token"] !== token) {
        return send(res, 401, { code: "InvalidAuthentication", message: "不合法的access_token" });
      }
      const refusal = refusals.get(route)?.shift();
      if (refusal) return send(res, refusal.status, refusal.body);
      switch (route) {
        case "POST /v1.0/card/instances/createAndDeliver": {
          const deliver = body.imGroupOpenDeliverModel ?? body.imRobotOpenDeliverModel;
          cards.set(body.outTrackId, {
            outTrackId: body.outTrackId,
            templateId: body.cardTemplateId,
            openSpaceId: body.openSpaceId,
            robotCode: deliver?.robotCode,
            data: { ...body.cardData?.cardParamMap },
            streams: [],
          });
          return send(res, 200, {
            success: true,
            result: {
              outTrackId: body.outTrackId,
              deliverResults: [{ spaceType: "IM_GROUP", spaceId: "x", success: true, carrierId: "c1" }],
            },
          });
        }
        case "PUT /v1.0/card/instances": {
          const card = cards.get(body.outTrackId);
          if (!card) return send(res, 400, { code: "param.cardNotExist", message: "卡片不存在" });
          const map = body.cardData?.cardParamMap ?? {};
          card.data = body.cardUpdateOptions?.updateCardDataByKey ? { ...card.data, ...map } : { ...map };
          return send(res, 200, { success: true, result: true });
        }
        case "PUT /v1.0/card/streaming": {
          const card = cards.get(body.outTrackId);
          if (!card) return send(res, 400, { code: "param.cardNotExist", message: "卡片不存在" });
          card.streams.push({
            key: body.key,
            content: body.content,
            isFinalize: body.isFinalize,
            isError: body.isError,
          });
          card.data[body.key] = body.content;
          return send(res, 200, { success: true, result: true });
        }
        case "POST /v1.0/robot/groupMessages/send":
        case "POST /v1.0/robot/oToMessages/batchSend":
          robotMessages.push(body);
          return send(res, 200, {
            processQueryKey: "pqk-1",
            invalidStaffIdList: [],
            flowControlledStaffIdList: [],
          });
        default:
          return send(res, 404, { code: "InvalidAction.NotFound", message: route });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    card: (id) => cards.get(id),
    cards: () => [...cards.values()],
    robotMessages: () => robotMessages,
    refuseNext: (route, status, body) =>
      refusals.set(route, [...(refusals.get(route) ?? []), { status, body }]),
    reset: () => {
      cards.clear();
      robotMessages.length = 0;
      refusals.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let backend: CardBackend;
let env: Record<string, string>;

beforeAll(async () => {
  backend = await startFakeCardBackend();
  env = {
    DINGTALK_BASE_URL: backend.baseUrl,
    DINGTALK_APP_KEY: APP_KEY,
    DINGTALK_APP_SECRET: APP_SECRET,
    DINGBOT_CACHE_DIR: mkdtempSync(join(tmpdir(), "dingbot-card-cli-")),
  };
});
beforeEach(() => backend.reset());
afterAll(async () => {
  await backend.close();
});

describe("dingbot card send / update", () => {
  it("sends a template's card to a group, prints only its outTrackId, and update merges new data into it", async () => {
    const sent = await runCli(
      [
        "card",
        "send",
        "--template",
        "build.schema",
        "--data",
        "status=running",
        "--data",
        "service=api",
        "--conversation",
        "cidGroup==",
      ],
      { env },
    );
    expect(sent).toMatchObject({ code: 0, stderr: "" });
    const outTrackId = sent.stdout.trim();
    expect(outTrackId).toMatch(/^[\w-]{8,}$/);
    expect(backend.card(outTrackId)).toMatchObject({
      templateId: "build.schema",
      openSpaceId: "dtv1.card//IM_GROUP.cidGroup==",
      robotCode: APP_KEY,
      data: { status: "running", service: "api" },
    });

    const updated = await runCli(
      ["card", "update", outTrackId, "--data", "status=green", "--output", "json"],
      { env },
    );
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toEqual({ ok: true, outTrackId });
    expect(backend.card(outTrackId)?.data).toEqual({ status: "green", service: "api" });
  });

  it("sends 1:1 with --user, its own --out-track-id and --robot-code", async () => {
    const result = await runCli(
      [
        "card",
        "send",
        "--template",
        "t.schema",
        "--user",
        "manager42",
        "--out-track-id",
        "my-card-1",
        "--robot-code",
        "dingrobot9",
      ],
      { env },
    );
    expect(result).toMatchObject({ code: 0, stdout: "my-card-1\n" });
    expect(backend.card("my-card-1")).toMatchObject({
      openSpaceId: "dtv1.card//IM_ROBOT.manager42",
      robotCode: "dingrobot9",
    });
  });

  it("exits 2 with what was wrong and how to fix it, before any request", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["card", "send", "--template", "t.schema"], /no recipient: give --conversation/],
      [
        ["card", "send", "--template", "t.schema", "--conversation", "c", "--user", "u"],
        /exclude each other/,
      ],
      [["card", "send", "--conversation", "c"], /no card template: give --template/],
      [
        ["card", "send", "--template", "t", "--conversation", "c", "--data", "novalue"],
        /--data "novalue" is not key=value/,
      ],
      [["card", "update", "id-1"], /nothing to update: give --data/],
      [["card", "stream"], /no recipient/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/hint: /);
    }
    const noKey = await runCli(["card", "update", "id-1", "--data", "a=b"], {
      env: { ...env, DINGTALK_APP_KEY: "" },
    });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/no app key: pass --app-key or set DINGTALK_APP_KEY/);
    expect(backend.cards()).toEqual([]);
  });

  it("exits 1 naming DingTalk's refusal: wrong credentials, an unknown card", async () => {
    const wrong = await runCli(["card", "update", "x", "--data", "a=b", "--no-cache"], {
      env: { ...env, DINGTALK_APP_SECRET: "not-the-secret-0000000000" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/DingTalk refused the credentials/);
    expect(wrong.stderr).not.toContain("not-the-secret-0000000000");

    const unknown = await runCli(["card", "update", "no-such-card", "--data", "a=b", "--output", "json"], {
      env,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/param.cardNotExist/);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, code: "param.cardNotExist" });
  });
});

describe("dingbot card stream", () => {
  it("streams stdin into an AI card as it arrives, finishes it, and prints its outTrackId", async () => {
    const cli = spawnCliWithStdin(["card", "stream", "--conversation", "cidGroup==", "--title", "回答"], env);
    try {
      cli.stdin.write("第一段，");
      // The first part is on the card while stdin is still open: streamed as it arrives, not at the end.
      await waitUntil(
        () => backend.cards()[0]?.streams.some((s) => s.content === "第一段，") ?? false,
        "the first part on the card",
        15_000,
      );
      cli.stdin.end("第二段。");
      const result = await cli.done;
      expect(result).toMatchObject({ code: 0, stderr: "" });
      const card = backend.card(result.stdout.trim());
      expect(card).toMatchObject({
        templateId: AI_TEMPLATE,
        openSpaceId: "dtv1.card//IM_GROUP.cidGroup==",
        data: { msgTitle: "回答", msgContent: "第一段，第二段。", flowStatus: "3" },
      });
      expect(card?.streams.at(-1)).toEqual({
        key: "msgContent",
        content: "第一段，第二段。",
        isFinalize: true,
        isError: false,
      });
    } finally {
      cli.kill();
    }
  });

  it("sends the whole text as one markdown message when DingTalk refuses the card, and says so", async () => {
    backend.refuseNext("POST /v1.0/card/instances/createAndDeliver", 403, {
      code: "Forbidden.AccessDenied.AccessTokenPermissionDenied",
      message: "没有调用该接口的权限",
      accessdenieddetail: { requiredScopes: ["Card.Instance.Write"] },
    });
    const result = await runCli(["card", "stream", "--user", "manager42", "--output", "json"], {
      env,
      stdin: "构建完成：全部通过",
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/refused the card; the whole text went out as one markdown message/);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, via: "markdown" });
    expect(backend.robotMessages()).toHaveLength(1);
    expect(JSON.stringify(backend.robotMessages()[0])).toContain("构建完成：全部通过");
  });

  it("never prints the app secret", () => {
    expect(ALL_OUTPUT.join("\n")).not.toContain(APP_SECRET);
  });
});
