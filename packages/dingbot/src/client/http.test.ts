import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError, RequestError } from "../errors.js";
import { requestJson } from "./http.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server; `handle` gets the response and how many requests its socket has carried. */
async function serve(handle: (res: ServerResponse, nth: number, socket: Socket) => void): Promise<string> {
  const counts = new WeakMap<Socket, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const nth = (counts.get(req.socket) ?? 0) + 1;
      counts.set(req.socket, nth);
      handle(res, nth, req.socket);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/robot/send?access_token=tok123456`;
}

const base = { method: "POST" as const, body: "{}", timeoutMs: 2000, endpoint: "POST /robot/send" };

describe("requestJson()", () => {
  it("returns status and parsed JSON over node:http, and over an injected fetch", async () => {
    const url = await serve((res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"errcode":0}'),
    );
    expect(await requestJson(undefined, { ...base, url })).toEqual({ status: 200, body: { errcode: 0 } });
    expect(await requestJson(fetch, { ...base, url })).toEqual({ status: 200, body: { errcode: 0 } });
  });

  it("returns a non-2xx answer whose body is JSON (the new API's errors)", async () => {
    const url = await serve((res) => res.writeHead(400).end('{"code":"InvalidParameter"}'));
    expect(await requestJson(undefined, { ...base, url })).toEqual({
      status: 400,
      body: { code: "InvalidParameter" },
    });
  });

  it("turns a non-JSON or empty answer into HttpError without the token", async () => {
    const url = await serve((res, nth) =>
      nth === 1 ? res.writeHead(502).end("bad gateway tok123456") : res.end(),
    );
    const error = await requestJson(undefined, { ...base, url, secrets: ["tok123456"] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(502);
    expect((error as Error).message).not.toContain("tok123456");
    await expect(requestJson(undefined, { ...base, url })).rejects.toThrow(/empty answer/);
  });

  it("gives up after timeoutMs with a RequestError that names the wait", async () => {
    const url = await serve(() => {});
    const error = await requestJson(undefined, { ...base, url, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).toBe("POST /robot/send: no answer within 100 ms");
  });

  it("stops when the caller aborts, and marks the error not retryable", async () => {
    const url = await serve(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await requestJson(undefined, { ...base, url, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).retryable).toBe(false);
    expect((error as Error).message).toContain("aborted");
  });

  it("retries once on a fresh socket when a kept-alive socket is reset before any answer", async () => {
    // The second request on any socket is dropped unanswered, as when a server closes an idle connection.
    const url = await serve((res, nth, socket) => (nth === 1 ? res.end('{"errcode":0}') : socket.destroy()));
    expect((await requestJson(undefined, { ...base, url })).body).toEqual({ errcode: 0 });
    expect((await requestJson(undefined, { ...base, url })).body).toEqual({ errcode: 0 });
  });
});
