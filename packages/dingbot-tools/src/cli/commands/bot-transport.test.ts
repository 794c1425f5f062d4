import { describe, expect, it } from "vitest";
import { CliUsageError } from "../io.js";
import type { TransportFlags } from "./bot-flags.js";
import { credentialVariables, resolveBotCredentials } from "./bot-transport.js";

const FLAGS: TransportFlags = { port: "0", host: "127.0.0.1", path: "/", requestTimeout: "10s" };

describe("several bots' credentials", () => {
  it("names each bot's env variables after it, upper-cased, other characters as _", () => {
    expect(credentialVariables("sales-bot")).toEqual({
      key: "DINGTALK_SALES_BOT_APP_KEY",
      secret: "DINGTALK_SALES_BOT_APP_SECRET",
    });
  });

  it("takes a Bots entry's credentials first, then the bot's own variables", () => {
    const resolved = resolveBotCredentials(
      [
        { name: "a", options: { appKey: "keyA", appSecret: "secretA" } },
        { name: "b", options: {} },
      ],
      FLAGS,
      { DINGTALK_A_APP_SECRET: "ignored", DINGTALK_B_APP_KEY: "keyB", DINGTALK_B_APP_SECRET: "secretB" },
    );
    expect(Object.fromEntries(resolved)).toEqual({
      a: { appKey: "keyA", appSecret: "secretA", robotCode: "keyA" },
      b: { appKey: "keyB", appSecret: "secretB", robotCode: "keyB" },
    });
  });

  it("refuses what would give bots the wrong or no credentials, naming the variable to set", () => {
    const bots = [{ name: "a", options: {} }];
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(CliUsageError);
        return `${(error as CliUsageError).message} | ${(error as CliUsageError).hint}`;
      }
      throw new Error("not refused");
    };
    expect(refusal(() => resolveBotCredentials(bots, FLAGS, {}))).toContain("DINGTALK_A_APP_SECRET");
    expect(
      refusal(() => resolveBotCredentials(bots, { ...FLAGS, stream: true }, { DINGTALK_A_APP_SECRET: "s" })),
    ).toContain("DINGTALK_A_APP_KEY");
    expect(refusal(() => resolveBotCredentials(bots, { ...FLAGS, appSecret: "one-app" }, {}))).toContain(
      "--app-key and --app-secret name one app",
    );
    expect(
      refusal(() =>
        resolveBotCredentials(
          [
            { name: "sales-bot", options: {} },
            { name: "sales_bot", options: {} },
          ],
          FLAGS,
          {},
        ),
      ),
    ).toContain("would both read DINGTALK_SALES_BOT_APP_SECRET");
  });
});
