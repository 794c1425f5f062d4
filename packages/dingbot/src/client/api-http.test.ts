import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, AuthError, HttpError, RateLimitedError } from "../errors.js";
import { silentLogger } from "../logger.js";
import { ApiHttp, DEFAULT_THROTTLE_RETRY, isInvalidTokenError, toApiError } from "./api-http.js";

/** A scripted DingTalk: each request takes the next answer; requests are recorded. */
let server: Server;
let base: string;
let script: Array<{ status: number; body: unknown }> = [];
const seen: { url: string; headers: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    const next = script.shift() ?? { status: 200, body: { errcode: 0, errmsg: "ok" } };
    res.writeHead(next.status, { "content-type": "application/json" });
    res.end(typeof next.body === "string" ? next.body : JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function http(retries = DEFAULT_THROTTLE_RETRY.retries) {
  const waits: number[] = [];
  const client = new ApiHttp({
    fetch: globalThis.fetch,
    baseUrls: { oapi: base, api: base },
    logger: silentLogger,
    timeoutMs: 5000,
    throttle: { ...DEFAULT_THROTTLE_RETRY, retries },
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    now: Date.now,
  });
  return { client, waits };
}

const TOKEN = "tok-0123456789abcdef0123456789abcdef";

describe("ApiHttp", () => {
  it("puts the old-API token in the query and the new-API token in the header", async () => {
    seen.length = 0;
    const { client } = http();
    await client.call({
      host: "oapi",
      method: "GET",
      path: "/user/get_by_mobile",
      query: { mobile: "1" },
      token: { in: "query", value: TOKEN },
    });
    script = [{ status: 200, body: { processQueryKey: "k" } }];
    await client.call({
      host: "api",
      method: "POST",
      path: "/v1.0/robot/groupMessages/send",
      body: {},
      token: { in: "header", value: TOKEN },
    });
    expect(seen[0]?.url).toBe(`/user/get_by_mobile?mobile=1&access_token=${TOKEN}`);
    expect(seen[1]?.headers["x-acs-dingtalk-access-token"]).toBe(TOKEN);
    expect(seen[1]?.url).not.toContain("access_token");
  });

  it("maps topapi's 88 + sub_code 40014 to AuthError that counts as an invalid token", async () => {
    script = [
      {
        status: 200,
        body: {
          errcode: 88,
          sub_code: "40014",
          sub_msg: "不合法的access_token",
          errmsg: "ding talk error[subcode=40014,submsg=不合法的access_token]",
          request_id: "r1",
        },
      },
    ];
    const error = await http()
      .client.call({
        host: "oapi",
        method: "POST",
        path: "/topapi/v2/user/get",
        body: {},
        token: { in: "query", value: TOKEN },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({
      errcode: 88,
      apiCode: "40014",
      requestId: "r1",
      endpoint: "POST /topapi/v2/user/get",
    });
    expect(isInvalidTokenError(error)).toBe(true);
  });

  it("maps the new shape {code, message, requestid} with its HTTP status", async () => {
    script = [
      {
        status: 400,
        body: { code: "InvalidAuthentication", message: "不合法的access_token", requestid: "R-1" },
      },
    ];
    const error = await http()
      .client.call({
        host: "api",
        method: "POST",
        path: "/v1.0/x",
        body: {},
        token: { in: "header", value: TOKEN },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 400, apiCode: "InvalidAuthentication", requestId: "R-1" });
    expect(isInvalidTokenError(error)).toBe(true);
  });

  it("counts 40014, 42001 and 88 + sub_code 40014 as invalid tokens", () => {
    for (const body of [
      { errcode: 40014, errmsg: "不合法的access_token" },
      { errcode: 42001, errmsg: "access_token超时" },
      { errcode: 88, sub_code: "40014", errmsg: "x" },
    ]) {
      expect(isInvalidTokenError(toApiError("oapi", 200, body, "GET /x"))).toBe(true);
    }
    expect(
      isInvalidTokenError(toApiError("oapi", 200, { errcode: 88, sub_code: "60011", errmsg: "x" }, "GET /x")),
    ).toBe(false);
  });

  it("does not treat bad app credentials as an invalid token", () => {
    const error = toApiError(
      "oapi",
      200,
      { errcode: 40096, errmsg: "不合法的appKey或appSecret" },
      "GET /gettoken",
    );
    expect(error).toBeInstanceOf(AuthError);
    expect(isInvalidTokenError(error)).toBe(false);
  });

  it.each([
    ["oapi", 200, { errcode: 90018, errmsg: "qps" }],
    ["oapi", 200, { errcode: 90002, errmsg: "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了" }],
    ["api", 403, { code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", message: "qps", requestid: "x" }],
    ["api", 403, { code: "Forbidden.AccessDenied.QpsLimitForApi", message: "qps", requestid: "x" }],
  ] as const)(
    "retries a %s throttling answer (%s) with growing waits, then succeeds",
    async (host, status, body) => {
      script = [
        { status, body },
        { status, body },
        {
          status: 200,
          body: host === "oapi" ? { errcode: 0, errmsg: "ok", userid: "u1" } : { processQueryKey: "k" },
        },
      ];
      const { client, waits } = http();
      await expect(client.call({ host, method: "POST", path: "/p", body: {} })).resolves.toBeDefined();
      expect(waits).toEqual([750, 1500]);
    },
  );

  it("gives up after the retries with RateLimitedError", async () => {
    script = Array.from({ length: 4 }, () => ({ status: 200, body: { errcode: 90018, errmsg: "qps" } }));
    await expect(
      http(2).client.call({ host: "oapi", method: "POST", path: "/p", body: {} }),
    ).rejects.toBeInstanceOf(RateLimitedError);
    script = [];
  });

  it("keeps the token out of error messages even when DingTalk echoes it", async () => {
    script = [
      { status: 200, body: { errcode: 40035, errmsg: `bad request access_token=${TOKEN} ${TOKEN}` } },
    ];
    const error = await http()
      .client.call({
        host: "oapi",
        method: "POST",
        path: "/p",
        body: {},
        token: { in: "query", value: TOKEN },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(String((error as Error).message)).not.toContain(TOKEN);
  });

  it("answers a non-JSON 5xx with HttpError and a new-API 2xx body as success", async () => {
    script = [{ status: 502, body: "<html>bad gateway</html>" }];
    await expect(http().client.call({ host: "api", method: "GET", path: "/v1.0/x" })).rejects.toBeInstanceOf(
      HttpError,
    );
    script = [{ status: 200, body: { accessToken: "a", expireIn: 7200 } }];
    await expect(
      http().client.call({ host: "api", method: "POST", path: "/v1.0/oauth2/accessToken", body: {} }),
    ).resolves.toEqual({
      accessToken: "a",
      expireIn: 7200,
    });
  });
});
