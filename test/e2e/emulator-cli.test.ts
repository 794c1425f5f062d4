/**
 * `dingbot emulator` as a user starts it: the real CLI from source, a state file, the flags, and a clean
 * stop on SIGTERM; a bad state file is bad usage (exit 2) naming the entry.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ALL_OUTPUT, REPO_ROOT, runCli } from "../helpers/cli.js";

const MAIN = fileURLToPath(new URL("../../packages/dingbot-tools/src/cli/main.ts", import.meta.url));

const STATE = `
users:
  - { userId: manager01, name: 张三, mobile: "13800000001" }
apps:
  - { appKey: dingapp, appSecret: s3cret, name: 答题机器人, callbackUrl: "http://127.0.0.1:9/", mode: http }
conversations:
  - { conversationId: cidOps, type: group, title: 运维群, members: [manager01], robots: [dingapp] }
robots:
  - { accessToken: tok-ops, keywords: [告警], conversationId: cidOps, name: 告警机器人 }
`;

/** Starts `dingbot emulator ARGS…` from source; resolves with its URL once it prints it (on stdout). */
function startEmulator(
  args: string[],
): Promise<{ child: ChildProcessByStdio<null, Readable, Readable>; url: string; output(): string }> {
  const child = spawn(
    process.execPath,
    ["--conditions=dingbot:source", "--import", "tsx", MAIN, "emulator", ...args],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.on("close", () => ALL_OUTPUT.push(out));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${out}`)), 20_000);
    child.on("close", () => reject(new Error(`emulator exited: ${out}`)));
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => out });
      }
    });
  });
}

/** SIGTERM, then the exit code (the output has joined {@link ALL_OUTPUT} by then). */
function stopEmulator(child: ChildProcessByStdio<null, Readable, Readable>): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exited;
}

describe("dingbot emulator", () => {
  it("starts with a state file and the rate flags, serves, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-emu-"));
    writeFileSync(join(dir, "state.yaml"), STATE);
    const { child, url, output } = await startEmulator([
      "--port",
      "0",
      "--state",
      join(dir, "state.yaml"),
      "--rate-limit",
      "1",
      "--rate-window",
      "60000",
      "--block",
      "1000",
    ]);
    try {
      const robots = (await (await fetch(`${url}/_emulator/robots`)).json()) as Array<{
        name: string;
        webhook: string;
      }>;
      expect(robots).toEqual([expect.objectContaining({ name: "告警机器人", conversationId: "cidOps" })]);
      const send = async (content: string) =>
        (await (
          await fetch(robots[0]!.webhook, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ msgtype: "text", text: { content } }),
          })
        ).json()) as { errcode: number };
      expect((await send("磁盘告警")).errcode).toBe(0);
      expect((await send("告警 again")).errcode).toBe(410100);
      const conversations = (await (await fetch(`${url}/_emulator/conversations`)).json()) as Array<{
        conversationId: string;
      }>;
      expect(conversations.map((c) => c.conversationId)).toContain("cidOps");
    } finally {
      expect(await stopEmulator(child)).toBe(0);
    }
    expect(output()).not.toContain("tok-ops");
  });

  it("refuses a bad state file with exit code 2 and names the entry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-emu-"));
    writeFileSync(join(dir, "bad.yaml"), "robots:\n  - { name: ok }\n  - { keywords: [1, 2] }\n");
    const result = await runCli(["emulator", "--port", "0", "--state", join(dir, "bad.yaml")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("robots[1]");
  });

  it("refuses a non-numeric flag with exit code 2", async () => {
    const result = await runCli(["emulator", "--port", "0", "--block", "soon"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--block");
  });

  it("exits 1 with 'port N in use (try --port)' when the port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await runCli(["emulator", "--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} in use (try --port)`);
      expect(result.stderr).not.toContain("EADDRINUSE");
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("refuses a state file's unknown key (secrett) with its line, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-emu-"));
    writeFileSync(join(dir, "typo.yaml"), "robots:\n  - accessToken: tok\n    secrett: SECxxxx\n");
    const result = await runCli(["emulator", "--port", "0", "--state", join(dir, "typo.yaml")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(':3: robots[0]: unknown key "secrett" (did you mean secret?)');
    expect(result.stderr).not.toContain("SECxxxx");
  });

  it("answers the control API under a name given with --allow-host, and 421 under others", async () => {
    const emulator = await startEmulator([
      "--port",
      "0",
      "--allow-host",
      "emulator",
      "--allow-host",
      "dingtalk.local",
    ]);
    try {
      const url = new URL(emulator.url);
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            { hostname: url.hostname, port: url.port, path: "/_emulator/robots", headers: { host } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on("error", reject);
          req.end();
        });
      expect(await status(`emulator:${url.port}`)).toBe(200);
      expect(await status("dingtalk.local")).toBe(200);
      expect(await status("attacker.test")).toBe(421);
    } finally {
      expect(await stopEmulator(emulator.child)).toBe(0);
    }
  });
});
