/**
 * The seeds' Python scripts, unchanged but for the host, against the emulator on a real port: the
 * emulator must accept exactly what DingTalk users send today (urllib quote_plus signatures, URLs built by
 * string concatenation, requests' `json=` and `data=json.dumps(...)` bodies).
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TOKEN = "a64487796eb55203949dfb7cbcd5f4cefa30ad718f2069f18bd155f5ae846784";
const SECRET = "SEC4c4262656fe9585e82ed9004f3688d0ff1257aee8e79de3c1c896db7d2b3f30d";

/** Seed 003's dt_robot class verbatim; only `https://oapi.dingtalk.com` became `{host}`. */
const SEED_003 = `
import requests
import json
import datetime
import time
import hmac
import hashlib
import base64
import urllib.parse

class dt_robot:
    def __init__(self, access_token, secret):
        self.access_token = access_token
        self.secret = secret

    def timestamp_sign(self):
        timestamp = str(round(time.time() * 1000))
        secret_enc = self.secret.encode('utf-8')
        string_to_sign = '{}\\n{}'.format(timestamp, self.secret)
        string_to_sign_enc = string_to_sign.encode('utf-8')
        hmac_code = hmac.new(secret_enc, string_to_sign_enc, digestmod=hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))

        return (timestamp, sign)

    def url(self):
        timestamp, sign = self.timestamp_sign()
        url_template = '{host}/robot/send?access_token={}&timestamp={}&sign={}'
        url = url_template.format(self.access_token, timestamp, sign)
        return url

    def message_headers(self):
        return {
            'Content-Type': 'application/json'
        }

    def message_data(self, content):
        data = {
            'msgtype': 'text',
            'text': {
                'content': content
            }
        }
        return data

    def send(self, content):
        url = self.url()
        response = requests.post(url, headers=self.message_headers(),
                                 data=json.dumps(self.message_data(content)))
        if response.status_code == 200:
            print('消息发送成功')
        else:
            print('消息发送失败')
        print(response.text)

access_token = '${TOKEN}'
secret = '${SECRET}'
content = datetime.datetime.now().strftime('%F %T')
mintue_message = dt_robot(access_token, secret)
mintue_message.send(content)
`;

/** Seeds 000 and 002: signature then `webhook + '&timestamp=' + … + '&sign=' + …`. */
const SEED_000_002 = `
import time
import hmac
import hashlib
import base64
import urllib.parse
import requests,json

timestamp = str(round(time.time() * 1000))
secret = '${SECRET}'
secret_enc = secret.encode('utf-8')
string_to_sign = '{}\\n{}'.format(timestamp, secret)
string_to_sign_enc = string_to_sign.encode('utf-8')
hmac_code = hmac.new(secret_enc, string_to_sign_enc, digestmod=hashlib.sha256).digest()
sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))

headers={'Content-Type': 'application/json'}
webhook = '{host}/robot/send?access_token=${TOKEN}&timestamp='+timestamp+"&sign="+sign
data = {
"msgtype": "text",
"text": {"content": '群发消息'},
"isAtAll": True
}
res = requests.post(webhook, data=json.dumps(data), headers=headers)
print(res.text)

url = '{host}/robot/send?access_token=${TOKEN}&timestamp={}&sign={}'.format(timestamp, sign)
json = { "msgtype" : "text" , "text" : { "content" : "888" } }
resp = requests.post(url = url,headers = headers,json = json)
print (resp.text)
`;

function python(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "python3",
      ["-"],
      // No proxy variables: requests must talk to 127.0.0.1 directly.
      { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_PROXY: "*" }, timeout: 20_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
    child.stdin?.end(script);
  });
}

describe("emulator with the seeds' Python scripts", () => {
  let emulator: Emulator;
  let url: string;
  beforeAll(async () => {
    emulator = createEmulator();
    emulator.store.createRobot({ accessToken: TOKEN, secret: SECRET, name: "期货" });
    url = await emulator.listen(0);
  });
  afterAll(() => emulator.close());

  it("accepts seed 003's dt_robot.send and records the message", async () => {
    const out = await python(SEED_003.replace("{host}", url));
    expect(out).toContain("消息发送成功");
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ errcode: 0, errmsg: "ok" });
    const messages = emulator.store.listMessages({ accessToken: TOKEN });
    expect(messages.at(-1)?.body).toMatchObject({
      msgtype: "text",
      text: { content: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) },
    });
    expect(messages.at(-1)?.sender.name).toBe("期货");
  });

  it("accepts seeds 000 and 002 (URL built by concatenation, data= and json= bodies)", async () => {
    const before = emulator.store.messages.length;
    const out = await python(SEED_000_002.replaceAll("{host}", url));
    const answers = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(answers).toEqual([
      { errcode: 0, errmsg: "ok" },
      { errcode: 0, errmsg: "ok" },
    ]);
    const bodies = emulator.store.messages.slice(before).map((m) => m.body);
    expect(bodies).toEqual([
      { msgtype: "text", text: { content: "群发消息" }, isAtAll: true },
      { msgtype: "text", text: { content: "888" } },
    ]);
  });

  it("answers 310000 sign not match to the same script with the wrong secret", async () => {
    const out = await python(
      SEED_003.replace("{host}", url).replace(`secret = '${SECRET}'`, "secret = 'SECwrong'"),
    );
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toMatchObject({
      errcode: 310000,
      errmsg: expect.stringContaining("机器人发送签名不匹配"),
    });
  });
});

describe("emulator over a real port", () => {
  it("answers errcodes over HTTP and keeps running after oversized and malformed requests", async () => {
    const emulator = createEmulator();
    const url = await emulator.listen(0);
    try {
      const robot = (await (
        await fetch(`${url}/_emulator/robots`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ keywords: ["告警"] }),
        })
      ).json()) as { webhook: string; accessToken: string };
      expect(robot.webhook).toBe(`${url}/robot/send?access_token=${robot.accessToken}`);
      const post = (body: string) =>
        fetch(robot.webhook, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(await (await post("x".repeat(5_000_000))).json()).toMatchObject({ errcode: 460101 });
      // Chunked, without Content-Length: the limit is enforced while reading.
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 50; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
          controller.close();
        },
      });
      const chunkedAnswer = await fetch(robot.webhook, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunked,
        duplex: "half",
      } as RequestInit);
      expect(await chunkedAnswer.json()).toMatchObject({ errcode: 460101 });
      expect(await (await post("{")).json()).toMatchObject({ errcode: 40035 });
      expect(await (await post(JSON.stringify({ msgtype: "text", text: { content: "hi" } }))).json()).toEqual(
        {
          errcode: 310000,
          errmsg: expect.stringContaining("关键词不匹配"),
        },
      );
      expect(
        await (await post(JSON.stringify({ msgtype: "text", text: { content: "告警" } }))).json(),
      ).toEqual({
        errcode: 0,
        errmsg: "ok",
      });
      expect(
        (
          await fetch(`${url}/_emulator/robots`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "y".repeat(2_000_000),
          })
        ).status,
      ).toBe(413);
      // The IP whitelist reads the client address from the socket.
      const listed = emulator.store.createRobot({ accessToken: "ip-ok", ipWhitelist: ["127.0.0.0/8"] });
      emulator.store.createRobot({ accessToken: "ip-no", ipWhitelist: ["10.0.0.0/8"] });
      const viaIp = async (token: string) =>
        (
          await fetch(`${url}/robot/send?access_token=${token}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ msgtype: "text", text: { content: "ip" } }),
          })
        ).json();
      expect(await viaIp(listed.accessToken)).toEqual({ errcode: 0, errmsg: "ok" });
      expect(await viaIp("ip-no")).toEqual({
        errcode: 310000,
        errmsg: expect.stringContaining("ip 不在白名单中"),
      });
      // A client that hangs up in the middle of its body.
      const { port } = new URL(url);
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(
            `POST /robot/send?access_token=${robot.accessToken} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"msgtype":`,
          );
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
      });
      const messages = (await (await fetch(`${url}/_emulator/messages`)).json()) as unknown[];
      expect(messages).toHaveLength(2);
    } finally {
      await emulator.close();
    }
  });
});
