/**
 * `dingbot emulator` as a user starts it: the real CLI from source, a state file, the flags, and a clean
 * stop on SIGTERM; a bad state file is bad usage (exit 2) naming the entry.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

describe("dingbot emulator", () => {
  it("starts with a state file and the rate flags, serves, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-emu-"));
    writeFileSync(join(dir, "state.yaml"), STATE);
    const child = spawn(
      process.execPath,
      [
        "--conditions=dingbot:source",
        "--import",
        "tsx",
        MAIN,
        "emulator",
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
      ],
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
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`emulator did not start: ${out}`)), 20_000);
      child.on("close", () => reject(new Error(`emulator exited: ${out}`)));
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
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
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      ALL_OUTPUT.push(out);
    }
    expect(out).not.toContain("tok-ops");
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
});
