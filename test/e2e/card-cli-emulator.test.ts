/**
 * `dingbot card stream | send | update` against the emulator (not a fake): the spawned CLI streams stdin into
 * an AI card, sends a registered template's card and updates it, and the emulator's control API shows the
 * cards as DingTalk would hold them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AI_CARD_TEMPLATE_ID } from "dingbot-sdk/protocol";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const APP_KEY = "dingcardcliemu01";
const APP_SECRET = "card-cli-emulator-secret-0123456789abcdef";
const GROUP = "cidCardCliGroup==";

let emulator: Emulator;
let env: Record<string, string>;

// biome-ignore lint/suspicious/noExplicitAny: the tests read the control API's JSON field by field
type Json = Record<string, any>;

async function control(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${env.DINGTALK_BASE_URL}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  expect(response.status, path).toBeLessThan(300);
  return (await response.json()) as Json;
}

beforeAll(async () => {
  emulator = createEmulator();
  const baseUrl = await emulator.listen(0);
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, name: "卡片助手", mode: "stream" });
  emulator.store.createUser({ userId: "manager1234", name: "张三" });
  emulator.store.createConversation({
    conversationId: GROUP,
    type: "group",
    title: "卡片群",
    members: ["manager1234"],
    robots: [APP_KEY],
  });
  env = {
    DINGTALK_BASE_URL: baseUrl,
    DINGTALK_APP_KEY: APP_KEY,
    DINGTALK_APP_SECRET: APP_SECRET,
    DINGBOT_CACHE_DIR: mkdtempSync(join(tmpdir(), "dingbot-card-cli-emu-")),
  };
});
afterAll(async () => {
  await emulator.close();
});

describe("dingbot card against the emulator", () => {
  it("streams stdin into a finished AI card in the group and prints its outTrackId", async () => {
    const answer = "部署完成：3 个实例已更新，耗时 42 秒。";
    const run = await runCli(["card", "stream", "--conversation", GROUP, "--title", "部署"], {
      env,
      stdin: answer,
    });
    expect(run.stderr).not.toContain(APP_SECRET);
    expect(run.code, run.stderr).toBe(0);
    const outTrackId = run.stdout.trim();
    const card = await control("GET", `/_emulator/cards/${encodeURIComponent(outTrackId)}`);
    expect(card).toMatchObject({
      outTrackId,
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      conversationId: GROUP,
      cardParamMap: { msgTitle: "部署", msgContent: answer, flowStatus: "3" },
    });
  });

  it("sends a registered template's card, then update merges new data into it", async () => {
    await control("POST", "/_emulator/card-templates", {
      templateId: "build.schema",
      name: "构建",
      fields: [{ key: "status", label: "状态" }],
      buttons: [],
    });
    const sent = await runCli(
      ["card", "send", "--template", "build.schema", "--data", "status=running", "--conversation", GROUP],
      { env },
    );
    expect(sent.code, sent.stderr).toBe(0);
    const outTrackId = sent.stdout.trim();
    const updated = await runCli(
      ["card", "update", outTrackId, "--data", "status=green", "--data", "took=42s"],
      {
        env,
      },
    );
    expect(updated.code, updated.stderr).toBe(0);
    const card = await control("GET", `/_emulator/cards/${encodeURIComponent(outTrackId)}`);
    expect(card.cardParamMap).toEqual({ status: "green", took: "42s" });
    expect(card.updates).toBeGreaterThanOrEqual(1);
  });

  it("exits 1 naming DingTalk's refusal for an unknown template, without printing the secret", async () => {
    const run = await runCli(
      ["card", "send", "--template", "no-such.schema", "--data", "a=b", "--conversation", GROUP],
      { env },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/templateUnpublished|template/i);
    expect(run.stdout + run.stderr).not.toContain(APP_SECRET);
  });
});
