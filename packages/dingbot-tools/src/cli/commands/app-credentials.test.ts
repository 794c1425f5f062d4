import { describe, expect, it } from "vitest";
import { captureIo } from "../../../../../test/helpers/cli-io.js";
import { run } from "../run.js";

/** These checks come before any request. */
const NO_FETCH: typeof fetch = () => Promise.reject(new Error("no request expected"));

const APP = { DINGTALK_APP_KEY: "dingappkey", DINGTALK_APP_SECRET: "app-secret-value" };

describe("the app commands' checks before any request", () => {
  it("refuse a base URL that is not http(s) as a usage error, in the client's words", async () => {
    const io = captureIo({ env: APP, fetch: NO_FETCH });
    expect(await run(["token", "--no-cache", "--base-url", "ftp://example.com"], io)).toBe(2);
    expect(io.err).toBe('error: baseUrl (or DINGTALK_BASE_URL) must be http(s): "ftp://example.com"\n');
  });

  it("refuse an agent id that is not a positive whole number", async () => {
    for (const [agentId, message] of [
      ["12a", 'the agent id must be a number, got "12a"'],
      ["0", 'the agent id must be a positive whole number, got "0"'],
      ["99999999999999999999", 'the agent id must be a positive whole number, got "99999999999999999999"'],
    ] as const) {
      const io = captureIo({ env: { ...APP, DINGTALK_AGENT_ID: agentId }, fetch: NO_FETCH });
      expect(await run(["notify", "--user-id", "u1", "--text", "hi"], io)).toBe(2);
      expect(io.err).toContain(`error: ${message}\n`);
    }
  });
});
