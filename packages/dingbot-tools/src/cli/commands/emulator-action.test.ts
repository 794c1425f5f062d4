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
    [["--card-qps", "0"], "--card-qps"],
    [["--card-data-max-bytes", "lots"], "--card-data-max-bytes"],
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

  it("limits card calls per app per API per second with --card-qps", async () => {
    const stop = new AbortController();
    const cli = captureIo({ signal: stop.signal });
    const running = run(["emulator", "--port", "0", "--card-qps", "1"], cli);
    while (!cli.out.includes("DINGTALK_BASE_URL=")) await new Promise((resolve) => setTimeout(resolve, 10));
    const baseUrl = /DINGTALK_BASE_URL=(\S+)/.exec(cli.out)?.[1] ?? "";
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const app = (await (await post("/_emulator/apps", {})).json()) as { appKey: string; appSecret: string };
    const { accessToken } = (await (
      await post("/v1.0/oauth2/accessToken", { appKey: app.appKey, appSecret: app.appSecret })
    ).json()) as {
      accessToken: string;
    };
    const register = () =>
      post(
        "/v1.0/card/callbacks/register",
        { callbackRouteKey: "k", callbackUrl: "http://127.0.0.1:1/", forceUpdate: true },
        { "x-acs-dingtalk-access-token": accessToken },
      );
    expect((await register()).status).toBe(200);
    const second = await register();
    expect(second.status).toBe(403);
    expect(((await second.json()) as { code: string }).code).toBe(
      "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    );
    stop.abort();
    expect(await running).toBe(0);
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
