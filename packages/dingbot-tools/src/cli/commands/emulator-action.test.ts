import { describe, expect, it } from "vitest";
import { captureIo } from "../../../../../test/helpers/cli-io.js";
import { run } from "../run.js";

describe("dingbot emulator", () => {
  it("rejects a port above 65535 as a usage error (exit 2) naming the flag", async () => {
    const cli = captureIo({ signal: AbortSignal.abort() });
    expect(await run(["emulator", "--port", "70000"], cli)).toBe(2);
    expect(cli.err).toContain("--port");
  });

  it.each([
    [["--rate-limit-errcode", "429"], "--rate-limit-errcode"],
    [["--errmsg-style", "fancy"], "--errmsg-style"],
  ])("rejects %j as a usage error naming the flag", async (flags, name) => {
    const cli = captureIo({ signal: AbortSignal.abort() });
    expect(await run(["emulator", "--port", "0", ...flags], cli)).toBe(2);
    expect(cli.err).toContain(name);
  });

  it("accepts each throttling errcode, both errmsg styles and --redeliver-callbacks", async () => {
    const cli = captureIo({ signal: AbortSignal.abort() });
    const flags = ["--rate-limit-errcode", "130101", "--errmsg-style", "legacy", "--redeliver-callbacks"];
    expect(await run(["emulator", "--port", "0", ...flags], cli)).toBe(0);
  });

  it("refuses an --allow-host with a port or a scheme as a usage error (exit 2)", async () => {
    for (const bad of ["emulator:8089", "http://emulator", ""]) {
      const cli = captureIo({ signal: AbortSignal.abort() });
      expect(await run(["emulator", "--port", "0", "--allow-host", bad], cli)).toBe(2);
      expect(cli.err).toContain("--allow-host");
    }
  });

  it("refuses a --request-timeout under 100 ms (exit 2)", async () => {
    const cli = captureIo({ signal: AbortSignal.abort() });
    expect(await run(["emulator", "--port", "0", "--request-timeout", "5"], cli)).toBe(2);
    expect(cli.err).toContain("--request-timeout");
  });
});
