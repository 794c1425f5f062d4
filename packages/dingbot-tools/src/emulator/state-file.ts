import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parse } from "yaml";
import type { EmulatorStore } from "./store.js";

/**
 * Creates the robots, apps, users and conversations a YAML or JSON state file lists (JSON is YAML).
 * @param store - the emulator's store
 * @param file - path of the file
 * @param cwd - directory relative paths start from
 */
export async function loadStateFile(store: EmulatorStore, file: string, cwd: string): Promise<void> {
  const state = (parse(await readFile(resolve(cwd, file), "utf8")) ?? {}) as StateFile;
  for (const user of state.users ?? []) store.createUser(user);
  for (const app of state.apps ?? []) store.createApp(app);
  for (const conversation of state.conversations ?? []) store.createConversation(conversation);
  for (const robot of state.robots ?? []) store.createRobot(robot);
}

/** Shape of a state file. */
export interface StateFile {
  users?: Parameters<EmulatorStore["createUser"]>[0][];
  apps?: Parameters<EmulatorStore["createApp"]>[0][];
  conversations?: Parameters<EmulatorStore["createConversation"]>[0][];
  robots?: Parameters<EmulatorStore["createRobot"]>[0][];
}
