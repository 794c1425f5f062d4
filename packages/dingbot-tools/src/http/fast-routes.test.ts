import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainUnreadBody, isPlainHost, withFastRoutes } from "./fast-routes.js";

describe("withFastRoutes", () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    const listener = withFastRoutes(
      (_req, res) => res.end("framework"),
      [
        (req, res) => {
          if (req.url !== "/fast") return false;
          res.end("fast");
          return true;
        },
        // Refuses early without reading the body, as a fast route answering a bad signature does.
        (req, res) => {
          if (req.url !== "/refuse") return false;
          res.end("refused");
          res.once("finish", () => drainUnreadBody(req));
          return true;
        },
      ],
    );
    server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Writes raw requests on one connection; resolves with everything read once `until` matches or it closes. */
  const converse = (requests: string, until: RegExp) =>
    new Promise<{ text: string; closed: boolean }>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        text += chunk;
        if (until.test(text)) {
          socket.destroy();
          resolve({ text, closed: false });
        }
      });
      socket.on("close", () => resolve({ text, closed: true }));
      socket.write(requests);
    });

  const post = (path: string, body: string, declared = body.length) =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\n${body}`;

  it("answers through the first route that takes a request, and through the framework otherwise", async () => {
    const { text } = await converse(`${post("/fast", "a")}${post("/other", "b")}`, /framework$/);
    expect(text).toMatch(/fast[\s\S]*framework$/);
  });

  it("drains a body a route left unread, so the connection carries the next request", async () => {
    const { text } = await converse(`${post("/refuse", "x".repeat(5000))}${post("/fast", "a")}`, /fast$/);
    expect(text).toMatch(/refused[\s\S]*fast$/);
  });

  it("closes the connection when an unread body does not arrive", async () => {
    const { text, closed } = await converse(post("/refuse", "", 100), /never/);
    expect(text).toMatch(/refused$/);
    expect(closed).toBe(true);
  });
});

describe("isPlainHost", () => {
  it("takes what @hono/node-server uses as is, and nothing it would parse or refuse", () => {
    for (const host of ["127.0.0.1:8080", "localhost:9093", "relay.example.com", "relay-1.internal:10000"]) {
      expect(isPlainHost(host), host).toBe(true);
    }
    // Upper case, a port below 1000 or over 99999, IPv6, userinfo, nothing at all.
    for (const host of [undefined, "", "Relay.Example", "127.0.0.1:80", "host:123456", "[::1]:8080", "a@b"]) {
      expect(isPlainHost(host), String(host)).toBe(false);
    }
  });
});
