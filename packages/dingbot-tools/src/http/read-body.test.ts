import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BodyRead, readCappedBody, readIncomingBody } from "./read-body.js";

const LIMIT = 1000;

/** A body stream that yields `chunk` `times` times and counts how many it was asked for. */
function counted(chunk: Uint8Array, times: number) {
  const stats = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stats.pulled === times) return controller.close();
      stats.pulled += 1;
      controller.enqueue(chunk);
    },
    cancel() {
      stats.cancelled = true;
    },
  });
  return { stream, stats };
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("http://x.invalid/", { method: "POST", body, headers, duplex: "half" } as RequestInit);

const text = (read: BodyRead) => (read.ok ? new TextDecoder().decode(read.bytes) : "tooLarge");

describe("readCappedBody of a Fetch Request", () => {
  it("reads a body up to the limit, and an absent one as empty", async () => {
    expect(text(await readCappedBody(post("x".repeat(LIMIT)), LIMIT))).toBe("x".repeat(LIMIT));
    expect(await readCappedBody(post(null), LIMIT)).toEqual({ ok: true, bytes: new Uint8Array(0) });
  });

  it("refuses a declared Content-Length over the limit before reading a byte", async () => {
    const { stream, stats } = counted(new Uint8Array(10), 5);
    const read = await readCappedBody(post(stream, { "content-length": String(LIMIT + 1) }), LIMIT);
    expect(read).toEqual({ ok: false, tooLarge: true });
    expect(stats.pulled).toBeLessThanOrEqual(1); // at most what the stream buffers up front
  });

  it("stops an undeclared endless body once the running count passes the limit", async () => {
    const { stream, stats } = counted(new Uint8Array(100), Number.POSITIVE_INFINITY);
    expect(await readCappedBody(post(stream), LIMIT)).toEqual({ ok: false, tooLarge: true });
    expect(stats.pulled).toBeLessThan(20);
    expect(stats.cancelled).toBe(true);
  });

  it("joins a body of many chunks", async () => {
    const { stream } = counted(new TextEncoder().encode("ab"), 300);
    expect(text(await readCappedBody(post(stream), LIMIT))).toBe("ab".repeat(300));
  });
});

describe("readCappedBody of a Hono context under @hono/node-server", () => {
  let server: ServerType;
  let port = 0;
  const results: Array<BodyRead | "rejected"> = [];
  let sawNodeRequest = false;

  beforeAll(async () => {
    const app = new Hono();
    app.post("/", async (c) => {
      sawNodeRequest = typeof (c.env as { incoming?: { on?: unknown } }).incoming?.on === "function";
      const read = await readCappedBody(c, LIMIT).catch(() => "rejected" as const);
      results.push(read);
      if (read === "rejected") return c.body(null, 400);
      return read.ok ? c.text(new TextDecoder().decode(read.bytes)) : c.text("too large", 413);
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends `chunks` (chunked unless `headers` declares a length) and returns status and body. */
  const send = (chunks: string[], headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ port, host: "127.0.0.1", method: "POST", path: "/", headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

  it("reads a body within the limit from the Node request", async () => {
    expect(await send(["hello ", "world"])).toEqual({ status: 200, body: "hello world" });
    expect(await send([], { "content-length": "0" })).toEqual({ status: 200, body: "" });
    expect(sawNodeRequest).toBe(true); // the fast path had a Node request to read
  });

  it("refuses a chunked body past the limit and still answers", async () => {
    expect(await send(Array.from({ length: 50 }, () => "y".repeat(100)))).toEqual({
      status: 413,
      body: "too large",
    });
  });

  it("refuses a declared Content-Length over the limit from the Node headers", async () => {
    const res = await send(["z".repeat(LIMIT + 1)], { "content-length": String(LIMIT + 1) });
    expect(res.status).toBe(413);
  });

  it("rejects when the client hangs up mid-body", async () => {
    const before = results.length;
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        port,
        host: "127.0.0.1",
        method: "POST",
        path: "/",
        headers: { "content-length": "500" },
      });
      req.on("error", () => resolve());
      req.write("partial", () => setTimeout(() => req.destroy(), 50));
      req.on("close", () => resolve());
    });
    const deadline = Date.now() + 2000;
    while (results.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(results.at(-1)).toBe("rejected");
  });
});

describe("readIncomingBody of a bare node:http request", () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      readIncomingBody(req, LIMIT).then(
        (read) => {
          res.statusCode = read.ok ? 200 : 413;
          res.end(read.ok ? Buffer.from(read.bytes) : "too large");
        },
        () => res.destroy(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const send = (chunks: string[], headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ port, host: "127.0.0.1", method: "POST", path: "/", headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

  it("reads a body of one or many chunks within the limit", async () => {
    expect(await send(["hello ", "world"])).toEqual({ status: 200, body: "hello world" });
    expect(await send(["x".repeat(LIMIT)])).toEqual({ status: 200, body: "x".repeat(LIMIT) });
    expect(await send([], { "content-length": "0" })).toEqual({ status: 200, body: "" });
  });

  it("refuses a declared Content-Length over the limit, and a chunked body once it passes it", async () => {
    expect((await send(["z".repeat(LIMIT + 1)], { "content-length": String(LIMIT + 1) })).status).toBe(413);
    expect((await send(Array.from({ length: 50 }, () => "y".repeat(100)))).status).toBe(413);
  });
});
