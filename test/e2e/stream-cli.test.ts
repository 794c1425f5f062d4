/**
 * `dingbot serve FILE --stream` and `dingbot listen --stream` as real processes against the emulator:
 * credentials from DINGTALK_APP_KEY / DINGTALK_APP_SECRET, the emulator from DINGTALK_BASE_URL.
 */
import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALL_OUTPUT, REPO_ROOT, type RunningCli, runCli, startCli } from "../helpers/cli.js";
import { type StreamWorld, startStreamWorld, waitUntil } from "./stream-helpers.js";

const MAIN = "packages/dingbot-tools/src/cli/main.ts";

/** Starts the CLI from source and waits for its "Stream mode" start line. */
function start(args: string[], env: Record<string, string>): Promise<RunningCli> {
  return startCli(args, env, /Stream mode/);
}

async function post(world: StreamWorld, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${world.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** A person and a 1:1 chat with the world's app; returns a function that writes into it. */
async function chat(
  world: StreamWorld,
): Promise<{ conversationId: string; say(text: string): Promise<unknown> }> {
  const user = await post(world, "/_emulator/users", { name: "王五" });
  const conversation = await post(world, "/_emulator/conversations", {
    type: "single",
    members: [user.userId],
    robots: [world.app.robotCode],
  });
  const conversationId = conversation.conversationId as string;
  return {
    conversationId,
    say: (text) =>
      post(world, `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`, {
        from: user.userId,
        text,
      }),
  };
}

describe("the CLI in Stream mode", () => {
  let world: StreamWorld;
  let env: Record<string, string>;
  beforeEach(async () => {
    world = await startStreamWorld();
    env = {
      DINGTALK_APP_KEY: world.app.appKey,
      DINGTALK_APP_SECRET: world.app.appSecret,
      DINGTALK_BASE_URL: world.baseUrl,
    };
  });
  afterEach(async () => {
    await world.emulator.close();
  });

  it("listen --stream prints each message as a JSON line", async () => {
    const { say } = await chat(world);
    const listen = await start(["listen", "--stream"], env);
    try {
      expect(await say("在吗")).toMatchObject({ delivered: true });
      await waitUntil(() => listen.stdout().includes("在吗"), "the printed message");
      const line = JSON.parse(listen.stdout().trim().split("\n")[0] as string);
      expect(line).toMatchObject({ msgtype: "text", text: { content: "在吗" } });
    } finally {
      expect(await listen.stop()).toBe(0);
    }
    expect(listen.stdout() + listen.stderr()).not.toContain(world.app.appSecret);
  });

  it("serve FILE --stream answers through the sessionWebhook", async () => {
    const { say, conversationId } = await chat(world);
    const serve = await start(["serve", "examples/stream-bot.ts", "--stream"], env);
    try {
      await say("hello");
      const replies = () =>
        world.emulator.store.listMessages({ conversationId }).filter((m) => m.via === "session-webhook");
      await waitUntil(() => replies().length === 1, "the reply");
      expect(JSON.stringify(replies()[0]?.body)).toContain("hello");
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it("exits with a clear failure on a wrong secret, without printing it", async () => {
    const result = await runCli(["listen", "--stream"], {
      env: { ...env, DINGTALK_APP_SECRET: "wrong-secret-value" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/authFailed/);
    expect(result.stdout + result.stderr).not.toContain("wrong-secret-value");
  });

  it("exits 1 when the secret is revoked while it runs, instead of reconnecting for ever", async () => {
    const listen = await start(["listen", "--stream"], env);
    const app = world.emulator.store.apps.get(world.app.appKey);
    if (app) app.appSecret = "rotated-in-the-console";
    await fetch(`${world.baseUrl}/_emulator/stream/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: world.app.appKey, how: "drop" }),
    });
    expect(await listen.exited).toBe(1);
    expect(listen.stderr()).toMatch(/authFailed/);
    expect(listen.stderr()).not.toContain("rotated-in-the-console");
  });

  it("refuses --stream without an app key as a usage error", async () => {
    const result = await runCli(["listen", "--stream"], {
      env: { DINGTALK_APP_SECRET: "x", DINGTALK_BASE_URL: world.baseUrl },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DINGTALK_APP_KEY/);
  });
});

describe("dingbot listen --stream with an unreachable gateway", () => {
  it("keeps retrying with warnings, and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=dingbot:source",
        "--import",
        "tsx",
        MAIN,
        "listen",
        "--stream",
        "--base-url",
        "http://127.0.0.1:1",
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          DINGTALK_APP_KEY: "dingunreachable",
          DINGTALK_APP_SECRET: "unreachable-secret-value",
        },
      },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await waitUntil(() => /retrying/.test(output), "a retry warning", 20_000);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    ALL_OUTPUT.push(output);
    expect(output).toContain("stopped");
    expect(output).not.toContain("unreachable-secret-value");
  });
});
