/**
 * startDemo() in-process: the world it creates, `--no-traffic`, and a clean stop.
 */

import { createEmulator } from "dingbot-tools/emulator";
import { describe, expect, it } from "vitest";
import { startDemo, startOptional } from "../../packages/dingbot-tools/src/demo/index.js";
import { loadStateFile } from "../../packages/dingbot-tools/src/emulator/state-file.js";
import { REPO_ROOT } from "../helpers/cli.js";

describe("startDemo", () => {
  it("builds the demo world, wires the HTTP bot's callback, sends nothing without traffic, and stops", async () => {
    const demo = await startDemo({ port: 0, traffic: false });
    try {
      expect(demo.missing).toEqual([]);
      expect(await demo.traffic).toEqual([]);
      const { store } = demo.emulator;
      expect([...store.conversations.values()].map((c) => c.title).sort()).toEqual(["研发群", "运维告警群"]);
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

  it("examples/demo-state.yaml loads into an emulator: people, your bot, a group and a robot", async () => {
    const emulator = createEmulator();
    await loadStateFile(emulator.store, "examples/demo-state.yaml", REPO_ROOT);
    const { store } = emulator;
    expect([...store.users.values()].map((u) => u.name)).toEqual(["张三", "李四"]);
    expect(store.apps.get("dingmybot")).toMatchObject({
      name: "我的机器人",
      callbackUrl: "http://127.0.0.1:3000/",
    });
    const group = store.conversations.get("cidMyTestGroup==")!;
    expect(group).toMatchObject({ title: "测试群", members: ["zhangsan", "lisi"], robots: ["dingmybot"] });
    expect(store.robots.get("my-test-robot-token")).toMatchObject({ conversationId: "cidMyTestGroup==" });
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
