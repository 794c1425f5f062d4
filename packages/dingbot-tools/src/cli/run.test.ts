import type { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { captureIo } from "../../../../test/helpers/cli-io.js";
import { COMMANDS } from "./commands/index.js";
import type { RegisterCommand } from "./commands/register.js";
import { run } from "./run.js";
import { secretArgs } from "./secrets.js";

const TOKEN = "tok0123456789abcdef";
const SECRET = "SEC0123456789abcdef";

/** A command whose action fails with a message that repeats its secret flag, like a careless library might. */
const registerLeaky: RegisterCommand = (program: Command) => {
  program
    .command("leaky")
    .option("--secret <secret>")
    .option("--webhook <url>")
    .action((flags: { secret?: string; webhook?: string }) => {
      throw new Error(`boom with ${flags.secret ?? ""} and ${flags.webhook ?? ""}`);
    });
};

afterEach(() => {
  const index = COMMANDS.indexOf(registerLeaky);
  if (index >= 0) COMMANDS.splice(index, 1);
});

describe("run()", () => {
  it("masks secrets from flags in an unexpected error and exits 1", async () => {
    COMMANDS.push(registerLeaky);
    const io = captureIo();
    const webhook = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`;
    const code = await run(["leaky", "--secret", SECRET, `--webhook=${webhook}`], io);
    expect(code).toBe(1);
    expect(io.err).toContain("boom with");
    expect(io.err).not.toContain(SECRET);
    expect(io.err).not.toContain(TOKEN);
  });
});

describe("secretArgs()", () => {
  it("collects secret flag values, secret variables and a webhook's access_token", () => {
    const found = secretArgs(["send", "--secret", SECRET, "--text", "hello"], {
      DINGTALK_WEBHOOK: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`,
      DINGTALK_APP_SECRET: "appsecret-value",
    });
    expect(found).toEqual(expect.arrayContaining([SECRET, TOKEN, "appsecret-value"]));
    expect(found).not.toContain("hello");
  });
});
