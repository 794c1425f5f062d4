import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyState, loadStateFile, StateFileError } from "./state-file.js";
import { EmulatorStore } from "./store.js";

describe("state file", () => {
  it("creates users, apps, conversations and robots from JSON, in dependency order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-state-"));
    const state = {
      robots: [{ accessToken: "t1", conversationId: "cid1", keywords: ["告警"] }],
      conversations: [{ conversationId: "cid1", members: ["u1"], robots: ["app1"] }],
      apps: [{ appKey: "app1", mode: "stream" }],
      users: [{ userId: "u1", name: "张三" }],
    };
    writeFileSync(join(dir, "s.json"), JSON.stringify(state));
    const store = new EmulatorStore();
    await loadStateFile(store, "s.json", dir);
    expect(store.robots.get("t1")?.conversationId).toBe("cid1");
    expect(store.conversations.get("cid1")?.members).toEqual(["u1"]);
    expect(store.apps.get("app1")?.mode).toBe("stream");
    expect(store.users.get("u1")?.name).toBe("张三");
  });

  it.each([
    [{ robots: [{ conversationId: "nope" }] }, "robots[0]: no conversation nope"],
    [{ users: [{ userId: "a" }, { userId: "a" }] }, "users[1]: user a already exists"],
    [{ apps: "x" }, "apps must be a list"],
    [[1, 2], "expected a mapping"],
  ])("refuses %j naming the entry", (state, message) => {
    expect(() => applyState(new EmulatorStore(), state, "s.yaml")).toThrow(StateFileError);
    expect(() => applyState(new EmulatorStore(), state, "s.yaml")).toThrow(message);
  });

  it("names a file that cannot be read or parsed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-state-"));
    writeFileSync(join(dir, "bad.yaml"), "robots: [\n");
    await expect(loadStateFile(new EmulatorStore(), "bad.yaml", dir)).rejects.toThrow(
      /cannot read state file bad.yaml/,
    );
    await expect(loadStateFile(new EmulatorStore(), "missing.yaml", dir)).rejects.toThrow(StateFileError);
  });

  it("refuses an unknown key with its line instead of creating an unsigned robot", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-state-"));
    writeFileSync(
      join(dir, "typo.yaml"),
      "robots:\n  - accessToken: tok-ops\n    name: 告警机器人\n    secrett: SECxxxx\n",
    );
    const store = new EmulatorStore();
    const loading = loadStateFile(store, "typo.yaml", dir);
    await expect(loading).rejects.toThrow(StateFileError);
    await expect(loadStateFile(store, "typo.yaml", dir)).rejects.toThrow(
      'typo.yaml:4: robots[0]: unknown key "secrett" (did you mean secret?)',
    );
    expect(store.robots.size).toBe(0);
  });

  it("refuses an unknown list name with its line, and gives entry errors a line too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dingbot-state-"));
    writeFileSync(join(dir, "list.yaml"), "users: []\nrobot:\n  - { name: x }\n");
    await expect(loadStateFile(new EmulatorStore(), "list.yaml", dir)).rejects.toThrow(
      'list.yaml:2: unknown key "robot" (did you mean robots?)',
    );
    writeFileSync(
      join(dir, "entry.json"),
      '{"robots": [\n  {"name": "a"},\n  {"conversationId": "nope"}\n]}',
    );
    await expect(loadStateFile(new EmulatorStore(), "entry.json", dir)).rejects.toThrow(
      "entry.json:3: robots[1]: no conversation nope",
    );
    expect(() => applyState(new EmulatorStore(), { apps: [{ appkey: "x" }] }, "s.yaml")).toThrow(
      's.yaml: apps[0]: unknown key "appkey" (did you mean appKey?)',
    );
  });
});
