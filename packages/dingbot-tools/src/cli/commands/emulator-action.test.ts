import { describe, expect, it } from "vitest";
import type { CliIo } from "../io.js";
import { run } from "../run.js";

function io(): CliIo & { out: string; err: string } {
  const captured = { out: "", err: "" };
  return Object.assign(captured, {
    stdout: (text: string) => {
      captured.out += text;
    },
    stderr: (text: string) => {
      captured.err += text;
    },
    env: {},
    readStdin: async () => "",
    fetch: globalThis.fetch,
    cwd: process.cwd(),
    signal: AbortSignal.abort(),
    isTTY: false,
  });
}

describe("dingbot emulator", () => {
  it("rejects a port above 65535 as a usage error (exit 2) naming the flag", async () => {
    const cli = io();
    expect(await run(["emulator", "--port", "70000"], cli)).toBe(2);
    expect(cli.err).toContain("--port");
  });
});
