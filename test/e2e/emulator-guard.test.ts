/**
 * The control API refuses what a web page could send it (issue 11 item 3): foreign Host names (DNS
 * rebinding), foreign Origins, non-JSON bodies; and the emulator's server does not wait for slow clients
 * forever (item 5). Real sockets throughout: the checks depend on what node:http receives.
 */
import { request } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../../packages/dingbot-tools/src/emulator/index.js";
import { isAllowedHost } from "../../packages/dingbot-tools/src/emulator/routes/control-guard.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** One request with exactly these headers (fetch may not set Host). */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function start(options: Parameters<typeof createEmulator>[0] = {}): Promise<string> {
  emulator = createEmulator(options);
  return emulator.listen(0);
}

const JSON_TYPE = { "content-type": "application/json" };

describe("the control API's Host check (DNS rebinding)", () => {
  it("answers 421 to a foreign Host and keeps answering localhost, 127.0.0.1 and [::1]", async () => {
    const url = await start();
    const { port } = new URL(url);
    const foreign = await send(url, "GET", "/_emulator/robots", { host: `rebind.attacker.test:${port}` });
    expect(foreign.status).toBe(421);
    expect(JSON.parse(foreign.text).error).toMatch(/Host/);
    expect((await send(url, "GET", "/", { host: `rebind.attacker.test:${port}` })).status).toBe(421);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "LOCALHOST"]) {
      expect((await send(url, "GET", "/_emulator/robots", { host })).status).toBe(200);
    }
  });

  it("leaves DingTalk's own paths alone: a bot in another container names the emulator any way", async () => {
    const url = await start();
    emulator!.store.createRobot({ accessToken: "guard-tok" });
    const answer = await send(
      url,
      "POST",
      "/robot/send?access_token=guard-tok",
      { host: "emulator:8089", ...JSON_TYPE },
      JSON.stringify({ msgtype: "text", text: { content: "hi" } }),
    );
    expect(JSON.parse(answer.text)).toEqual({ errcode: 0, errmsg: "ok" });
  });

  it("accepts the names given in allowHosts", async () => {
    const url = await start({ allowHosts: ["emulator"] });
    expect((await send(url, "GET", "/_emulator/robots", { host: "emulator:8089" })).status).toBe(200);
    expect((await send(url, "GET", "/_emulator/robots", { host: "other:8089" })).status).toBe(421);
  });

  it("accepts the listen address, and any IP literal when listening on a wildcard address", () => {
    expect(isAllowedHost("10.1.2.3:8089", "10.1.2.3", [])).toBe(true);
    expect(isAllowedHost("10.1.2.4:8089", "10.1.2.3", [])).toBe(false);
    expect(isAllowedHost("10.1.2.4:8089", "0.0.0.0", [])).toBe(true);
    expect(isAllowedHost("[fd00::1]:8089", "::", [])).toBe(true);
    expect(isAllowedHost("rebind.test:8089", "0.0.0.0", [])).toBe(false);
    expect(isAllowedHost("", undefined, [])).toBe(false);
  });
});

describe("the control API's Origin and Content-Type checks (cross-site requests)", () => {
  it("refuses a foreign Origin with 403, even on a bodiless reset, and accepts its own", async () => {
    const url = await start();
    emulator!.store.createRobot({ accessToken: "kept" });
    const foreign = await send(url, "POST", "/_emulator/reset", { origin: "http://attacker.test" });
    expect(foreign.status).toBe(403);
    expect((await send(url, "POST", "/_emulator/reset", { origin: "null" })).status).toBe(403);
    const crossSite = await send(url, "GET", "/_emulator/robots", { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(emulator!.store.robots.has("kept")).toBe(true);
    // The chat page's own requests (same origin) keep working.
    const own = await send(url, "POST", "/_emulator/reset", { origin: url, "sec-fetch-site": "same-origin" });
    expect(own.status).toBe(200);
    expect(emulator!.store.robots.size).toBe(0);
  });

  it("answers 415 to a control body that is not declared JSON (curl -d sends a form), 201 to JSON", async () => {
    const url = await start();
    const body = JSON.stringify({ accessToken: "via-form", name: "x" });
    for (const type of ["application/x-www-form-urlencoded", "text/plain", undefined]) {
      const answer = await send(url, "POST", "/_emulator/robots", type ? { "content-type": type } : {}, body);
      expect(answer.status).toBe(415);
      expect(JSON.parse(answer.text).error).toMatch(/application\/json/);
    }
    expect(emulator!.store.robots.size).toBe(0);
    expect((await send(url, "POST", "/_emulator/robots", JSON_TYPE, body)).status).toBe(201);
    const app = { callbackUrl: "http://127.0.0.1:1/", appKey: "blind" };
    const formApp = await send(
      url,
      "POST",
      "/_emulator/apps",
      { "content-type": "text/plain" },
      JSON.stringify(app),
    );
    expect(formApp.status).toBe(415);
    expect(emulator!.store.apps.has("blind")).toBe(false);
  });

  it("still takes a bodiless POST without Content-Type (curl -X POST …/_emulator/reset)", async () => {
    const url = await start();
    const reset = await fetch(`${url}/_emulator/reset`, { method: "POST" });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ ok: true });
  });
});

describe("slow clients", () => {
  /** Sends headers and then one body byte every 100 ms; resolves with what the server answered. */
  function trickle(url: string, head: string): Promise<{ answer: string; elapsedMs: number }> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname);
      const started = Date.now();
      let answer = "";
      let timer: NodeJS.Timeout | undefined;
      socket.on("connect", () => {
        socket.write(head);
        timer = setInterval(() => socket.write("x"), 100);
      });
      socket.on("data", (chunk) => {
        answer += chunk.toString();
      });
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(timer);
        resolve({ answer, elapsedMs: Date.now() - started });
      });
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after 10 s; got ${JSON.stringify(answer)}`));
      }, 10_000).unref();
    });
  }

  it("answers 408 to a body trickled slower than requestTimeoutMs, and keeps serving", async () => {
    const url = await start({ requestTimeoutMs: 800, headersTimeoutMs: 800 });
    const head =
      "POST /_emulator/robots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
      "Content-Length: 100000\r\n\r\n";
    const { answer, elapsedMs } = await trickle(url, head);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('{"error":"the request was not received in time"}');
    expect(elapsedMs).toBeLessThan(5000);
    expect((await fetch(`${url}/_emulator/robots`)).status).toBe(200);
  });

  it("answers 408 to headers that never end", async () => {
    const url = await start({ requestTimeoutMs: 800, headersTimeoutMs: 500 });
    const { answer } = await trickle(url, "GET /_emulator/robots HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("answers 400 with a short reason to something that is not HTTP, and keeps serving", async () => {
    const url = await start();
    const { hostname, port } = new URL(url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('{"error":"malformed HTTP request"}');
    expect((await fetch(`${url}/_emulator/robots`)).status).toBe(200);
  });
});

describe("server errors after start-up", () => {
  it("are logged, and the emulator keeps serving (an 'error' without a listener would end the process)", async () => {
    const lines: string[] = [];
    const url = await start({ log: (line) => lines.push(line) });
    // Twice: a once("error") left from start-up would swallow the first silently and let the second throw.
    for (let i = 0; i < 2; i++) {
      emulator!.server!.emit("error", Object.assign(new Error("too many open files"), { code: "EMFILE" }));
    }
    expect(lines).toEqual(["server error: EMFILE", "server error: EMFILE"]);
    expect((await fetch(`${url}/_emulator/robots`)).status).toBe(200);
  });
});
