/** What every command shares: help, version, unknown commands, and a reader that closes the pipe early. */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "../helpers/cli.js";

describe("dingbot", () => {
  it("lists every command in --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of [
      "send",
      "serve",
      "listen",
      "notify",
      "robot",
      "token",
      "api",
      "relay",
      "emulator",
      "demo",
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  it("answers an unknown command with exit code 2", async () => {
    const result = await runCli(["sned", "--text", "hi"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command");
  });

  it("exits quietly when the reader closes the pipe early (| true, | head)", async () => {
    const cli = "node --conditions=dingbot:source --import tsx packages/dingbot-tools/src/cli/main.ts";
    const { stderr, status } = await new Promise<{ stderr: string; status: number }>((resolve) => {
      execFile(
        "bash",
        ["-c", `set -o pipefail; ${cli} send --help | true; echo "status=\${PIPESTATUS[0]}" >&2`],
        { cwd: REPO_ROOT },
        (_error, _stdout, stderr) =>
          resolve({ stderr, status: Number(/status=(\d+)/.exec(stderr)?.[1] ?? -1) }),
      );
    });
    expect(stderr).not.toContain("EPIPE");
    expect(status).toBe(0);
  });
});

describe("docs/cli.md", () => {
  it("is the CLI's own --help output (regenerate with node scripts/cli-reference.mjs)", async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ["scripts/cli-reference.mjs", "--check"],
        { cwd: REPO_ROOT },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as { code?: number }).code ?? 1) : 0,
            output: stdout + stderr,
          }),
      );
    });
    expect(output).toContain("up to date");
    expect(code).toBe(0);
  }, 60_000);
});
