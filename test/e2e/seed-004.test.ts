/**
 * Seed 004 (a work notification: gettoken → user/get_by_mobile → asyncsend_v2, form-encoded with urllib, so
 * `msg` arrives as a Python dict literal) runs unchanged but for the host and its placeholders against the
 * emulator on a real port, and the notification reaches the person's 1:1 conversation.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Seed 004's script verbatim (the blog flattened its line breaks; they are restored here). Placeholders:
 * 你的APPKey, 你的APPSecret, 你的AgentID, 接收账号对应的手机号; the host is https://oapi.dingtalk.com.
 */
const SEED_004 = `#! /bin/env python
# -*- coding: UTF-8 -*-
import sys
import json
if sys.version_info.major <= 2:
    print("not support python2")
    sys.exit(0)
import urllib.request as request
import urllib.parse
APP_KEY = "你的APPKey"
APP_SECRET = "你的APPSecret"
AGENT_ID = "你的AgentID"
def get_access_token():
    req = request.urlopen('https://oapi.dingtalk.com/gettoken?appkey=%s&appsecret=%s' % (APP_KEY, APP_SECRET))
    res = req.read().decode('utf-8')
    data = json.loads(res)
    if data["errcode"] == 0:
        return data["access_token"]
    else:
        return None
def get_userid(access_token, mobile):
    req = request.urlopen('https://oapi.dingtalk.com/user/get_by_mobile?access_token=%s&mobile=%s' % (access_token, mobile))
    res = req.read().decode('utf-8')
    data = json.loads(res)
    if data["errcode"] == 0:
        return data["userid"]
    else:
        return None
def post_message(userid, access_token):
    msg = {}
    msg["userid_list"] = userid
    msg["agent_id"] = AGENT_ID
    msg["msg"] = {}
    msg["msg"]["msgtype"] = "text"
    msg["msg"]["text"] = {}
    msg["msg"]["text"]["content"] = "This is a test message2!"
    postData = urllib.parse.urlencode(msg)
    postData = postData.encode('utf-8')
    res = request.urlopen('https://oapi.dingtalk.com/topapi/message/corpconversation/asyncsend_v2?access_token=%s' % access_token, postData)
    result = res.read()
    print(result)
if __name__ == '__main__':
    access_token = get_access_token()
    userid = get_userid(access_token, "接收账号对应的手机号")
    post_message(userid, access_token)
    sys.exit(0)
`;

const APP_KEY = "dingseed004key";
const APP_SECRET = "seed004-secret-abcdefabcdefabcdefabcdef012345";
const AGENT_ID = 2_233_445_566;
const MOBILE = "13800000000";

let emulator: Emulator;
let base: string;

beforeAll(async () => {
  emulator = createEmulator({ notificationDelayMs: 50 });
  emulator.store.createApp({ appKey: APP_KEY, appSecret: APP_SECRET, agentId: AGENT_ID, name: "报警通知" });
  emulator.store.createUser({ userId: "manager4321", mobile: MOBILE, name: "接收人" });
  base = await emulator.listen(0);
});

afterAll(async () => {
  await emulator.close();
});

function runPython(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "python3",
      [file],
      { timeout: 20_000, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("seed 004 (work notification by mobile, form-encoded)", () => {
  it("is the seed's own script, whitespace aside", () => {
    // The project's shared/ folder sits beside the repository, for developers and CI alike.
    const seedDir = fileURLToPath(new URL("../../../shared/seeds", import.meta.url));
    const file = existsSync(seedDir)
      ? readdirSync(seedDir).find((name) => name.startsWith("004_"))
      : undefined;
    // Where shared/ is absent (a user's clone) the copy above stands on its own.
    const seed = file ? readFileSync(join(seedDir, file), "utf8") : SEED_004;
    const start = seed.indexOf("#! /bin/env python");
    const end = seed.indexOf("sys.exit(0)", seed.indexOf("if __name__")) + "sys.exit(0)".length;
    const squash = (text: string) => text.replace(/\s+/g, "");
    expect(squash(seed.slice(start, end))).toBe(squash(SEED_004));
  });

  it("delivers the notification to the person's 1:1 conversation", async () => {
    const script = SEED_004.replaceAll("https://oapi.dingtalk.com", base)
      .replace("你的APPKey", APP_KEY)
      .replace("你的APPSecret", APP_SECRET)
      .replace("你的AgentID", String(AGENT_ID))
      .replace("接收账号对应的手机号", MOBILE);
    const dir = mkdtempSync(join(tmpdir(), "dingbot-seed004-"));
    const file = join(dir, "seed004.py");
    writeFileSync(file, script);
    const result = await runPython(file);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/"errcode":0/);
    expect(result.stdout).toMatch(/"task_id":\d+/);
    // The task is asynchronous: the message appears after notificationDelayMs.
    let delivered = emulator.store.messages.filter((m) => m.via === "work-notification");
    for (let i = 0; i < 100 && delivered.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      delivered = emulator.store.messages.filter((m) => m.via === "work-notification");
    }
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.body).toEqual({ msgtype: "text", text: { content: "This is a test message2!" } });
    const conversation = emulator.store.conversations.get(delivered[0]!.conversationId);
    expect(conversation).toMatchObject({ type: "single", members: ["manager4321"] });
    const listed = (await (await fetch(`${base}/_emulator/messages`)).json()) as unknown;
    expect(JSON.stringify(listed)).toContain("This is a test message2!");
  });
});
