import { CommanderError } from "commander";
import { ValidationError } from "dingbot-sdk/client";
import { describe, expect, it } from "vitest";
import { captureIo } from "../../../../test/helpers/cli-io.js";
import { CliFailure, CliUsageError } from "./io.js";
import { printer } from "./printer.js";
import { describeUnexpected, exitCodeOf, reportError } from "./report-error.js";

describe("exitCodeOf()", () => {
  it("is the one table: 0 help/version, 2 usage and refused-before-sending, a failure's own code, else 1", () => {
    expect(exitCodeOf(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"))).toBe(0);
    expect(exitCodeOf(new CommanderError(1, "commander.unknownOption", "x"))).toBe(2);
    expect(exitCodeOf(new CliUsageError("x"))).toBe(2);
    expect(exitCodeOf(new ValidationError("bad", [{ path: "(root)", message: "bad" }], "outbound"))).toBe(2);
    expect(exitCodeOf(new CliFailure("x", 3))).toBe(3);
    expect(exitCodeOf(new Error("x"))).toBe(1);
  });
});

describe("reportError()", () => {
  it("prints error and hint lines, and with json one JSON line on stdout", () => {
    const io = captureIo();
    expect(reportError(new CliUsageError("no app key", "pass --app-key"), printer(io, "json"))).toBe(2);
    expect(io.err).toBe("error: no app key\nhint: pass --app-key\n");
    expect(JSON.parse(io.out)).toEqual({ ok: false, error: "no app key", hint: "pass --app-key" });
  });

  it("uses a describer's JSON line when it gives one", () => {
    const io = captureIo();
    const describe = () => ({ message: "refused", json: { ok: false, errcode: 310000 } });
    expect(reportError(new Error("x"), printer(io, "json"), describe)).toBe(1);
    expect(JSON.parse(io.out)).toEqual({ ok: false, errcode: 310000 });
    expect(io.err).toBe("error: refused\n");
  });

  it("rethrows what no describer knows, and describeUnexpected knows everything", () => {
    const io = captureIo();
    const error = new Error("surprise");
    expect(() => reportError(error, printer(io, "text"))).toThrow(error);
    expect(reportError(error, printer(io, "text"), describeUnexpected)).toBe(1);
    expect(io.err).toBe("error: surprise\n");
  });

  it("masks the printer's secrets and the environment's", () => {
    const io = captureIo({ env: { DINGTALK_SECRET: "SECfromtheenvironment" } });
    reportError(
      new Error("leak SECfromtheenvironment and flagsecret1"),
      printer(io, "text", ["flagsecret1"]),
      describeUnexpected,
    );
    expect(io.err).not.toContain("SECfromtheenvironment");
    expect(io.err).not.toContain("flagsecret1");
  });
});
