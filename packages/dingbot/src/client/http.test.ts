import { createHash } from "node:crypto";
import { openAsBlob } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("gives up after timeoutMs when the answer stops half-way, and closes the connection", async () => {
    let closed: Promise<unknown> = Promise.resolve();
    const url = await serve((res, _nth, socket) => {
      closed = new Promise((resolve) => socket.once("close", resolve));
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" }).write('{"errc');
    });
    const error = await requestJson(undefined, { ...base, url, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).toBe("POST /robot/send: no answer within 100 ms");
    await closed;
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

  it("streams a Blob body over node:http with its length, whole again on the retry after a reset", async () => {
    // Each body's length header, size and hash; the second request on a socket is dropped unanswered.
    const received: { length: string | undefined; size: number; sha256: string }[] = [];
    const counts = new WeakMap<Socket, number>();
    const server = createServer((req, res) => {
      const hash = createHash("sha256");
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.byteLength;
      });
      req.on("end", () => {
        const nth = (counts.get(req.socket) ?? 0) + 1;
        counts.set(req.socket, nth);
        received.push({ length: req.headers["content-length"], size, sha256: hash.digest("hex") });
        if (nth === 1) res.end('{"errcode":0}');
        else req.socket.destroy();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/media/upload`;
    const dir = await mkdtemp(join(tmpdir(), "dingbot-http-"));
    try {
      const data = new Uint8Array(2 * 1024 * 1024).map((_, i) => i % 253);
      await writeFile(join(dir, "f"), data);
      // A file-backed part between two strings, as client/media.ts builds a multipart body.
      const body = new Blob(["head", await openAsBlob(join(dir, "f")), "tail"]);
      const whole = createHash("sha256").update("head").update(data).update("tail").digest("hex");
      expect((await requestJson(undefined, { ...base, url, body })).body).toEqual({ errcode: 0 });
      expect((await requestJson(undefined, { ...base, url, body })).body).toEqual({ errcode: 0 });
      const expected = { length: String(body.size), size: body.size, sha256: whole };
      // The first call, the second (dropped on the kept-alive socket), and its retry on a fresh one.
      expect(received).toEqual([expected, expected, expected]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails with a RequestError when a file-backed body cannot be read (the file changed)", async () => {
    const url = await serve((res) => res.end('{"errcode":0}'));
    const dir = await mkdtemp(join(tmpdir(), "dingbot-http-"));
    try {
      await writeFile(join(dir, "f"), new Uint8Array(1000));
      const body = await openAsBlob(join(dir, "f"));
      await writeFile(join(dir, "f"), new Uint8Array(10));
      const error = await requestJson(undefined, { ...base, url, body }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
