import { describe, expect, it } from "vitest";
import { ApiError, AuthError, HttpError, RequestError, StreamConnectError } from "../../../errors.js";
import { isUnrecoverable, openGateway } from "./gateway.js";

/** A gateway call whose fetch answers with `respond`, recording the request. */
function call(respond: () => Response | Promise<Response>) {
  const seen: Array<{ url: string; init: RequestInit | undefined }> = [];
  const promise = openGateway({
    fetch: async (input, init) => {
      seen.push({ url: String(input), init });
      return respond();
    },
    apiBase: "http://127.0.0.1:9",
    clientId: "dingkey",
    clientSecret: "s3cret-value",
    subscriptions: [{ type: "CALLBACK", topic: "/v1.0/im/bot/messages/get" }],
    ua: "dingbot/test",
    signal: new AbortController().signal,
  });
  return { promise, seen };
}

describe("openGateway()", () => {
  it("posts the credentials as JSON with Accept: application/json and returns endpoint and ticket", async () => {
    const { promise, seen } = call(() =>
      Response.json({ endpoint: "ws://127.0.0.1:1/connect", ticket: "t-1" }),
    );
    await expect(promise).resolves.toEqual({ endpoint: "ws://127.0.0.1:1/connect", ticket: "t-1" });
    expect(seen[0]?.url).toBe("http://127.0.0.1:9/v1.0/gateway/connections/open");
    expect(new Headers(seen[0]?.init?.headers).get("accept")).toBe("application/json");
    expect(JSON.parse(String(seen[0]?.init?.body))).toMatchObject({
      clientId: "dingkey",
      clientSecret: "s3cret-value",
      ua: "dingbot/test",
    });
  });

  it("maps 401 authFailed to an unrecoverable AuthError that does not contain the secret", async () => {
    const { promise } = call(() =>
      Response.json({ requestid: "R-1", code: "authFailed", message: "鉴权失败" }, { status: 401 }),
    );
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 401, apiCode: "authFailed", requestId: "R-1" });
    expect(isUnrecoverable(error)).toBe(true);
    expect(String(error)).not.toContain("s3cret-value");
  });

  it("maps another 4xx to an unrecoverable StreamConnectError with the ApiError as cause", async () => {
    const { promise } = call(() =>
      Response.json({ code: "invalidParameter", message: "bad" }, { status: 400 }),
    );
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamConnectError);
    expect((error as Error).cause).toBeInstanceOf(ApiError);
    expect(isUnrecoverable(error)).toBe(true);
  });

  it("treats 5xx, non-JSON answers, answers without a ticket and network failures as retryable", async () => {
    const server = await call(() =>
      Response.json({ code: "ServiceUnavailable", message: "busy" }, { status: 503 }),
    ).promise.catch((e: unknown) => e);
    expect(server).toBeInstanceOf(ApiError);
    expect(isUnrecoverable(server)).toBe(false);
    const html = await call(() => new Response("<html>bad gateway</html>", { status: 502 })).promise.catch(
      (e: unknown) => e,
    );
    expect(html).toBeInstanceOf(HttpError);
    const noTicket = await call(() => Response.json({ endpoint: "ws://x" })).promise.catch((e: unknown) => e);
    expect(noTicket).toBeInstanceOf(HttpError);
    const network = await call(() => Promise.reject(new TypeError("fetch failed"))).promise.catch(
      (e: unknown) => e,
    );
    expect(network).toBeInstanceOf(RequestError);
    expect(isUnrecoverable(network)).toBe(false);
  });
});
