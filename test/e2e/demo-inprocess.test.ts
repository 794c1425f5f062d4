/**
 * startDemo() in-process: the world it creates, `--no-traffic`, and a clean stop.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createEmulator } from "dingbot-tools/emulator";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startDemo, startOptional } from "../../packages/dingbot-tools/src/demo/index.js";
import { createDemoWorld, DEMO_STATE } from "../../packages/dingbot-tools/src/demo/world.js";
import { loadStateFile } from "../../packages/dingbot-tools/src/emulator/state-file.js";
import { REPO_ROOT } from "../helpers/cli.js";

describe("startDemo", () => {
  it("builds the demo world, wires the HTTP bot's callback, sends nothing without traffic, and stops", async () => {
    const demo = await startDemo({ port: 0, traffic: false });
    try {
      expect(demo.missing).toEqual([]);
      expect(await demo.traffic).toEqual([]);
      const { store } = demo.emulator;
      expect([...store.conversations.values()].map((c) => c.title).sort()).toEqual([
        "回声机器人",
        "研发群",
        "运维告警群",
      ]);
      expect(store.messages).toEqual([]);
      // The answer bot listens where the app's callbackUrl points; the stream bot holds a connection.
      const answer = store.apps.get(demo.world.answerApp.appKey)!;
      expect(answer.callbackUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
      expect(demo.emulator.ctx.stream?.isConnected(demo.world.streamApp.appKey)).toBe(true);
      expect(demo.parts.join("\n")).toMatch(/relay\s+http:\/\/127\.0\.0\.1:\d+/);
      const page = await fetch(demo.pageUrl);
      expect(page.status).toBe(200);
    } finally {
      await demo.stop();
    }
    await expect(fetch(demo.pageUrl)).rejects.toThrow();
    // stop() is idempotent.
    await demo.stop();
  });

  it("examples/demo-state.yaml is the demo's world: the same people, robots and conversations", async () => {
    // The state file parses to DEMO_STATE, the object the demo builds its world from…
    const text = await readFile(join(REPO_ROOT, "examples/demo-state.yaml"), "utf8");
    expect(parse(text)).toEqual(DEMO_STATE);
    // …and loads into an emulator as the demo's world (ids, mobiles, conversations, robots).
    const fromFile = createEmulator();
    await loadStateFile(fromFile.store, "examples/demo-state.yaml", REPO_ROOT);
    const demo = createEmulator();
    createDemoWorld(demo.store);
    const view = (store: typeof demo.store) => ({
      users: [...store.users.values()].map(({ userId, name, mobile, isAdmin }) => ({
        userId,
        name,
        mobile,
        isAdmin,
      })),
      apps: [...store.apps.values()].map(({ appKey, appSecret, name, mode, callbackUrl, agentId }) => ({
        appKey,
        appSecret,
        name,
        mode,
        callbackUrl,
        agentId,
      })),
      conversations: [...store.conversations.values()].map(({ createdAt: _, ...c }) => c),
      robots: [...store.robots.values()].map(({ createdAt: _, ...r }) => r),
    });
    expect(view(fromFile.store)).toEqual(view(demo.store));
    expect(fromFile.store.users.get("zhangsan")).toMatchObject({ name: "张三", mobile: "13800000001" });
    expect(fromFile.store.apps.get("dingdemoanswerbot")).toMatchObject({
      name: "问答机器人",
      callbackUrl: "http://127.0.0.1:3000/",
    });
    // A 1:1 chat without a title is named after its robot, not the groups' default "测试群".
    expect(fromFile.store.conversations.get("cidDemoEchoChat==")).toMatchObject({
      type: "single",
      title: "回声机器人",
    });
  });

  it("leaves out a piece that is absent, fails or hangs, and stops one that comes up late", async () => {
    const missing: string[] = [];
    const stops: Array<() => Promise<void>> = [];
    let lateStopped = false;
    const piece = { stop: async () => {} };
    expect(await startOptional("a", async () => piece, "absent", missing, stops)).toBe(piece);
    expect(
      await startOptional("b", async () => undefined, "not in this install", missing, stops),
    ).toBeUndefined();
    expect(
      await startOptional("c", () => Promise.reject(new Error("port taken")), "absent", missing, stops),
    ).toBeUndefined();
    let release = (_: { stop(): Promise<void> }) => {};
    const late = new Promise<{ stop(): Promise<void> }>((resolve) => {
      release = resolve;
    });
    expect(await startOptional("d", () => late, "absent", missing, stops, 50)).toBeUndefined();
    release({
      stop: async () => {
        lateStopped = true;
      },
    });
    await expect.poll(() => lateStopped).toBe(true);
    expect(missing).toEqual(["b: not in this install", "c: port taken", "d: did not start within 0.05 s"]);
    expect(stops).toHaveLength(1);
  });
});
