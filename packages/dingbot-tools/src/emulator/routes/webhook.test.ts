import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createEmulator } from "../emulator.js";

const SECRET = "SEC4c4262656fe9585e82ed9004f3688d0ff1257aee8e79de3c1c896db7d2b3f30d";
const TOKEN = "a64487796eb55203949dfb7cbcd5f4cefa30ad718f2069f18bd155f5ae846784";

/** The seeds' signature, written independently of dingbot/protocol: quote_plus(base64(hmac)). */
function pythonSign(secret: string, timestamp: string): string {
  const digest = createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64");
  // For base64's alphabet, quote_plus and encodeURIComponent agree: + → %2B, / → %2F, = → %3D.
  return digest.replace(/\+/g, "%2B").replace(/\//g, "%2F").replace(/=/g, "%3D");
}

function setup(options: Parameters<typeof createEmulator>[0] = {}) {
  let clock = 1_700_000_000_000;
  const emulator = createEmulator({ now: () => clock, ...options });
  const post = (url: string, body: unknown, init: RequestInit = {}, env?: unknown) =>
    emulator.app.request(
      url,
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...init,
      },
      env,
    );
  return {
    emulator,
    store: emulator.store,
    post,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

const text = (content: string) => ({ msgtype: "text", text: { content } });

// DingTalk's present 310000 texts, as quoted in public issues (sources in docs/protocol-decisions.md).
const KEYWORD_MSG =
  "错误描述:关键词不匹配;解决方案:请联系群管理员查看此机器人的关键词，并在发送的信息中包含此关键词;";
const SIGN_MSG =
  "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中，请确认机器人的密钥加密和填写正确;link:请参考本接口对应文档获得具体要求，或者在https://open.dingtalk.com/document/  搜索相关文档;";
const TIMESTAMP_MSG =
  "description:机器人发送签名过期;solution:签名生成时间和发送时间请保持在 timestampms 以内;";
const IP_MSG = "description:ip 不在白名单中;solution:请联系对应群的管理员，设置机器人安全ip地址段";

describe("POST /robot/send", () => {
  it("accepts a text message and records it with the robot as sender", async () => {
    const { store, post } = setup();
    const robot = store.createRobot({ accessToken: TOKEN, name: "期货" });
    const res = await post(`/robot/send?access_token=${TOKEN}`, text("你好"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
    const [message] = store.listMessages({ accessToken: TOKEN });
    expect(message?.body).toEqual(text("你好"));
    expect(message?.via).toBe("webhook");
    expect(message?.conversationId).toBe(robot.conversationId);
    expect(message?.sender.kind).toBe("robot");
    expect(message?.sender.name).toBe("期货");
    expect(message?.sender.id).not.toContain(TOKEN.slice(0, 10));
  });

  it.each([
    ["link", { msgtype: "link", link: { title: "t", text: "x", messageUrl: "https://e.com", picUrl: "" } }],
    ["markdown", { msgtype: "markdown", markdown: { title: "告警", text: "### down" } }],
    [
      "actionCard whole",
      {
        msgtype: "actionCard",
        actionCard: {
          title: "t",
          text: "x",
          singleTitle: "查看",
          singleURL: "https://e.com",
          btnOrientation: 0,
          hideAvatar: "1",
        },
      },
    ],
    [
      "actionCard buttons",
      {
        msgtype: "actionCard",
        actionCard: {
          title: "t",
          text: "x",
          btnOrientation: "1",
          btns: [{ title: "a", actionURL: "https://e.com/a" }],
        },
      },
    ],
    [
      "feedCard",
      {
        msgtype: "feedCard",
        feedCard: { links: [{ title: "1", messageURL: "https://e.com", picURL: "https://e.com/p.png" }] },
      },
    ],
    [
      "text with msgUuid and a stray top-level isAtAll (seed 000)",
      { ...text("群发消息"), isAtAll: true, msgUuid: "u-1" },
    ],
  ])("accepts %s", async (_name, body) => {
    const { store, post } = setup();
    store.createRobot({ accessToken: TOKEN });
    const res = await post(`/robot/send?access_token=${TOKEN}`, body);
    expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
    expect(store.messages[0]?.body).toEqual(body);
  });

  it("acknowledges a repeated msgUuid without recording the message twice", async () => {
    const { store, post } = setup();
    store.createRobot({ accessToken: TOKEN });
    const body = { ...text("once"), msgUuid: "same" };
    await post(`/robot/send?access_token=${TOKEN}`, body);
    const res = await post(`/robot/send?access_token=${TOKEN}`, body);
    expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
    expect(store.messages).toHaveLength(1);
  });

  const errcodeCases: Array<
    [string, (s: ReturnType<typeof setup>) => Promise<Response> | Response, number, string, string]
  > = [
    [
      "an unknown token",
      (s) => s.post("/robot/send?access_token=nope", text("x")),
      300005,
      "token is not exist",
      "token",
    ],
    ["a missing token", (s) => s.post("/robot/send", text("x")), 40035, "缺少参数 access_token", "token"],
    [
      "GET instead of POST",
      (s) => s.emulator.app.request(`/robot/send?access_token=${TOKEN}`),
      43002,
      "需要POST请求",
      "method",
    ],
    [
      "a form content type",
      (s) =>
        s.post(`/robot/send?access_token=${TOKEN}`, "a=b", {
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
      43004,
      "无效的HTTP HEADER Content-Type",
      "content-type",
    ],
    [
      "no content type",
      (s) =>
        s.post(`/robot/send?access_token=${TOKEN}`, new Blob([JSON.stringify(text("x"))]) as never, {
          headers: {},
        }),
      43004,
      "无效的HTTP HEADER Content-Type",
      "content-type",
    ],
    [
      "malformed JSON",
      (s) => s.post(`/robot/send?access_token=${TOKEN}`, "{oops"),
      40035,
      "缺少参数 json",
      "body",
    ],
    ["an empty body", (s) => s.post(`/robot/send?access_token=${TOKEN}`, ""), 40035, "缺少参数 json", "body"],
    [
      "a JSON array",
      (s) => s.post(`/robot/send?access_token=${TOKEN}`, "[]"),
      40035,
      "缺少参数 json",
      "body",
    ],
    [
      "a missing msgtype",
      (s) => s.post(`/robot/send?access_token=${TOKEN}`, { text: { content: "x" } }),
      300001,
      "msgtype is null",
      "msgtype",
    ],
    [
      "an unknown msgtype",
      (s) => s.post(`/robot/send?access_token=${TOKEN}`, { msgtype: "image", image: { picURL: "x" } }),
      400105,
      "不支持的消息类型，请使用文档中支持的消息类型",
      "msgtype",
    ],
    [
      "a text without content",
      (s) => s.post(`/robot/send?access_token=${TOKEN}`, { msgtype: "text", text: {} }),
      40035,
      "缺少参数 text.content",
      "body",
    ],
    [
      "a body over 20000 bytes",
      (s) => s.post(`/robot/send?access_token=${TOKEN}`, text("字".repeat(7000))),
      460101,
      "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;",
      "body",
    ],
  ];

  it.each(errcodeCases)(
    "refuses %s with HTTP 200 and the errcode, and records the rejection",
    async (_n, send, errcode, errmsg, reason) => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, name: "r" });
      const res = await send(s);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ errcode, errmsg });
      expect(s.store.messages).toHaveLength(0);
      expect(s.store.rejections.at(-1)).toMatchObject({ errcode, errmsg, reason });
      expect(JSON.stringify(s.store.rejections)).not.toContain(TOKEN);
    },
  );

  it("says which field is invalid when a field has the wrong type", async () => {
    const { store, post } = setup();
    store.createRobot({ accessToken: TOKEN });
    const res = await post(`/robot/send?access_token=${TOKEN}`, { msgtype: "text", text: { content: 5 } });
    const json = (await res.json()) as { errcode: number; errmsg: string };
    expect(json.errcode).toBe(40035);
    expect(json.errmsg).toMatch(/^参数不合法 text\.content/);
  });

  it("accepts a body of exactly 20000 bytes", async () => {
    const { store, post } = setup();
    store.createRobot({ accessToken: TOKEN });
    const overhead = JSON.stringify(text("")).length;
    const res = await post(
      `/robot/send?access_token=${TOKEN}`,
      JSON.stringify(text("a".repeat(20000 - overhead))),
    );
    expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
  });

  describe("sign mode", () => {
    it("accepts the seed-000 URL (webhook + '&timestamp=' + ts + '&sign=' + quote_plus(sign))", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, secret: SECRET });
      const webhook = `/robot/send?access_token=${TOKEN}`;
      const timestamp = String(s.now());
      const res = await s.post(
        `${webhook}&timestamp=${timestamp}&sign=${pythonSign(SECRET, timestamp)}`,
        text("群发消息"),
      );
      expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
    });

    it("accepts a timestamp 59 minutes away in either direction", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, secret: SECRET });
      for (const offset of [-59 * 60_000, 59 * 60_000]) {
        const ts = String(s.now() + offset);
        const res = await s.post(
          `/robot/send?access_token=${TOKEN}&timestamp=${ts}&sign=${pythonSign(SECRET, ts)}`,
          text("x"),
        );
        expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
      }
    });

    it.each([
      [
        "a stale timestamp",
        (now: number) => ({ ts: String(now - 61 * 60_000), secret: SECRET }),
        TIMESTAMP_MSG,
      ],
      [
        "a future timestamp",
        (now: number) => ({ ts: String(now + 61 * 60_000), secret: SECRET }),
        TIMESTAMP_MSG,
      ],
      ["a wrong secret", (now: number) => ({ ts: String(now), secret: "SECother" }), SIGN_MSG],
    ])("refuses %s", async (_n, make, errmsg) => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, secret: SECRET });
      const { ts, secret } = make(s.now());
      const res = await s.post(
        `/robot/send?access_token=${TOKEN}&timestamp=${ts}&sign=${pythonSign(secret, ts)}`,
        text("x"),
      );
      expect(await res.json()).toEqual({ errcode: 310000, errmsg });
      expect(s.store.rejections.at(-1)?.reason).toBe(errmsg === SIGN_MSG ? "sign" : "timestamp");
    });

    it("refuses a missing signature, a missing timestamp, and a signature encoded twice", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, secret: SECRET });
      const ts = String(s.now());
      const twice = encodeURIComponent(pythonSign(SECRET, ts));
      const answers = [
        await s.post(`/robot/send?access_token=${TOKEN}`, text("x")),
        await s.post(`/robot/send?access_token=${TOKEN}&sign=${pythonSign(SECRET, ts)}`, text("x")),
        await s.post(`/robot/send?access_token=${TOKEN}&timestamp=${ts}&sign=${twice}`, text("x")),
      ];
      const bodies = await Promise.all(answers.map((r) => r.json()));
      expect(bodies).toEqual([
        { errcode: 310000, errmsg: SIGN_MSG },
        { errcode: 310000, errmsg: TIMESTAMP_MSG },
        { errcode: 310000, errmsg: SIGN_MSG },
      ]);
    });

    it("refuses a raw (unencoded) base64 signature that contains '+', as form decoding turns it into a space", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, secret: SECRET });
      let ts = s.now();
      let raw = "";
      for (; ; ts++) {
        raw = createHmac("sha256", SECRET).update(`${ts}\n${SECRET}`).digest("base64");
        if (raw.includes("+")) break;
      }
      const res = await s.post(`/robot/send?access_token=${TOKEN}&timestamp=${ts}&sign=${raw}`, text("x"));
      expect(await res.json()).toEqual({ errcode: 310000, errmsg: SIGN_MSG });
    });
  });

  describe("keywords", () => {
    it("accepts a message containing a keyword in any string field of its msgtype object", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, keywords: ["告警", "deploy"] });
      const bodies = [
        text("磁盘告警"),
        { msgtype: "markdown", markdown: { title: "告警", text: "x" } },
        {
          msgtype: "actionCard",
          actionCard: { title: "t", text: "x", btns: [{ title: "deploy now", actionURL: "https://e" }] },
        },
        {
          msgtype: "feedCard",
          feedCard: { links: [{ title: "t", messageURL: "https://e/deploy", picURL: "" }] },
        },
      ];
      for (const body of bodies) {
        expect(await (await s.post(`/robot/send?access_token=${TOKEN}`, body)).json()).toEqual({
          errcode: 0,
          errmsg: "ok",
        });
      }
    });

    it("refuses a message without any keyword, even when the keyword is only in `at` or msgtype", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, keywords: ["告警", "text"] });
      const res = await s.post(`/robot/send?access_token=${TOKEN}`, {
        ...text("hello"),
        at: { atUserIds: ["告警"] },
      });
      expect(await res.json()).toEqual({ errcode: 310000, errmsg: KEYWORD_MSG });
      expect(s.store.rejections.at(-1)?.reason).toBe("keyword");
    });
  });

  describe("IP whitelist", () => {
    const from = (address: string) => ({
      incoming: { socket: { remoteAddress: address, remoteFamily: "IPv4" } },
    });

    it("accepts exact addresses and CIDR ranges, including IPv4-mapped IPv6 socket addresses", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, ipWhitelist: ["10.0.0.0/8", "192.168.1.7"] });
      for (const address of ["10.20.30.40", "192.168.1.7", "::ffff:10.1.1.1"]) {
        const res = await s.post(`/robot/send?access_token=${TOKEN}`, text("x"), {}, from(address));
        expect(await res.json()).toEqual({ errcode: 0, errmsg: "ok" });
      }
    });

    it("refuses other addresses with DingTalk's message naming the address", async () => {
      const s = setup();
      s.store.createRobot({ accessToken: TOKEN, ipWhitelist: ["10.0.0.0/8"] });
      const res = await s.post(
        `/robot/send?access_token=${TOKEN}`,
        text("x"),
        {},
        from("::ffff:192.168.1.8"),
      );
      expect(await res.json()).toEqual({ errcode: 310000, errmsg: IP_MSG });
      expect(s.store.rejections.at(-1)?.reason).toBe("ip");
    });
  });

  describe("errmsg wording", () => {
    it("answers the old English 310000 texts with errmsgStyle legacy", async () => {
      const s = setup({ errmsgStyle: "legacy" });
      const more = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]";
      s.store.createRobot({ accessToken: TOKEN, secret: SECRET });
      s.store.createRobot({ accessToken: "kw", keywords: ["告警"] });
      s.store.createRobot({ accessToken: "ip", ipWhitelist: ["10.0.0.0/8"] });
      const stale = String(s.now() - 2 * 3600_000);
      const env = { incoming: { socket: { remoteAddress: "192.168.1.8", remoteFamily: "IPv4" } } };
      const bodies = await Promise.all(
        [
          await s.post(`/robot/send?access_token=${TOKEN}`, text("x")),
          await s.post(
            `/robot/send?access_token=${TOKEN}&timestamp=${stale}&sign=${pythonSign(SECRET, stale)}`,
            text("x"),
          ),
          await s.post("/robot/send?access_token=kw", text("x")),
          await s.post("/robot/send?access_token=ip", text("x"), {}, env),
        ].map((r) => r.json()),
      );
      expect(bodies).toEqual([
        { errcode: 310000, errmsg: `sign not match${more}` },
        { errcode: 310000, errmsg: `invalid timestamp${more}` },
        { errcode: 310000, errmsg: `keywords not in content${more}` },
        { errcode: 310000, errmsg: "ip 192.168.1.8 not in whitelist" },
      ]);
    });
  });

  describe("rate limit", () => {
    it("answers the throttling errcode chosen for the emulator, or for the robot", async () => {
      const s = setup({ rateLimit: 1, rateWindowMs: 1000, blockMs: 5000, rateLimitErrcode: 130101 });
      s.store.createRobot({ accessToken: TOKEN });
      const created = await s.emulator.app.request("/_emulator/robots", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ accessToken: "probe", rateLimitErrcode: 660026 }),
      });
      expect(created.status).toBe(201);
      const twice = async (token: string) => {
        await s.post(`/robot/send?access_token=${token}`, text("x"));
        return (await s.post(`/robot/send?access_token=${token}`, text("x"))).json();
      };
      expect(await twice(TOKEN)).toEqual({
        errcode: 130101,
        errmsg: "send too fast, exceed 20 times per minute",
      });
      expect(await twice("probe")).toEqual({
        errcode: 660026,
        errmsg: "sending too many messages per minute",
      });
      const refused = await s.emulator.app.request("/_emulator/robots", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rateLimitErrcode: 429 }),
      });
      expect(refused.status).toBe(400);
    });

    it("allows `rateLimit` messages per window, then blocks for `blockMs`, then accepts again", async () => {
      const s = setup({ rateLimit: 3, rateWindowMs: 1000, blockMs: 5000 });
      s.store.createRobot({ accessToken: TOKEN });
      const send = async () =>
        ((await (await s.post(`/robot/send?access_token=${TOKEN}`, text("x"))).json()) as { errcode: number })
          .errcode;
      expect([await send(), await send(), await send()]).toEqual([0, 0, 0]);
      expect(await send()).toBe(410100);
      expect(s.store.rejections.at(-1)).toMatchObject({
        reason: "rate-limit",
        errmsg: "发送速度太快而限流，请降低发送速度",
      });
      s.advance(4999);
      expect(await send()).toBe(410100);
      s.advance(1);
      expect(await send()).toBe(0);
      expect(s.store.messages).toHaveLength(4);
    });

    it("slides: a message leaves the window exactly windowMs after it was sent", async () => {
      const s = setup({ rateLimit: 2, rateWindowMs: 1000, blockMs: 0 });
      s.store.createRobot({ accessToken: TOKEN });
      const send = async () =>
        ((await (await s.post(`/robot/send?access_token=${TOKEN}`, text("x"))).json()) as { errcode: number })
          .errcode;
      expect(await send()).toBe(0);
      s.advance(500);
      expect(await send()).toBe(0);
      s.advance(499);
      expect(await send()).toBe(410100);
      s.advance(1);
      expect(await send()).toBe(0);
    });

    it("counts each robot separately and does not count refused requests", async () => {
      const s = setup({ rateLimit: 1, rateWindowMs: 1000, blockMs: 1000 });
      s.store.createRobot({ accessToken: "a" });
      s.store.createRobot({ accessToken: "b", keywords: ["关键词"] });
      const errcode = async (token: string, content: string) =>
        (
          (await (await s.post(`/robot/send?access_token=${token}`, text(content))).json()) as {
            errcode: number;
          }
        ).errcode;
      expect(await errcode("b", "no keyword")).toBe(310000);
      expect(await errcode("a", "x")).toBe(0);
      expect(await errcode("b", "关键词")).toBe(0);
    });
  });
});

describe("POST /robot/send with arbitrary input", () => {
  it("always answers HTTP 200 with a numeric errcode and records only schema-valid messages", async () => {
    const fc = await import("fast-check");
    const { check, RobotMessageBodySchema } = await import("dingbot-sdk/protocol");
    const { store, emulator } = setup();
    store.createRobot({ accessToken: TOKEN, keywords: [] });
    const json = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          msgtype: fc.constantFrom("text", "link", "markdown", "actionCard", "feedCard", "image", ""),
          text: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(
        json,
        fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
        fc.constantFrom("POST", "PUT", "GET", "DELETE"),
        fc.constantFrom(TOKEN, "", "other", "%zz"),
        async (body, contentType, method, token) => {
          const res = await emulator.app.request(`/robot/send?access_token=${token}`, {
            method,
            headers: contentType ? { "content-type": contentType } : {},
            ...(method === "GET" ? {} : { body }),
          });
          expect(res.status).toBe(200);
          const answer = (await res.json()) as { errcode: unknown; errmsg: unknown };
          expect(typeof answer.errcode).toBe("number");
          expect(typeof answer.errmsg).toBe("string");
        },
      ),
      { numRuns: 1500 },
    );
    for (const message of store.messages) expect(check(RobotMessageBodySchema, message.body).ok).toBe(true);
  });
});
