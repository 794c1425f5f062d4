import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parse } from "yaml";
import {
  type AppInput,
  appInput,
  ControlError,
  type ConversationInput,
  conversationInput,
  type RobotInput,
  robotInput,
  type UserInput,
  userInput,
} from "./routes/control-input.js";
import type { EmulatorStore } from "./store.js";

/** A state file that cannot be loaded; the message names the file's entry (e.g. `robots[1]`). */
export class StateFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateFileError";
  }
}

/**
 * Creates the robots, apps, users and conversations a YAML or JSON state file lists (JSON is YAML), in
 * the order users → apps → conversations → robots so later entries can name earlier ones. Each entry is
 * checked exactly as the control API checks it.
 * @param store - the emulator's store
 * @param file - path of the file
 * @param cwd - directory relative paths start from
 * @throws StateFileError naming the bad entry
 */
export async function loadStateFile(store: EmulatorStore, file: string, cwd: string): Promise<void> {
  let state: unknown;
  try {
    state = parse(await readFile(resolve(cwd, file), "utf8")) ?? {};
  } catch (error) {
    throw new StateFileError(
      `cannot read state file ${file}: ${error instanceof Error ? error.message : error}`,
    );
  }
  applyState(store, state, file);
}

/**
 * Creates everything a parsed state lists (see {@link loadStateFile}).
 * @param store - the emulator's store
 * @param state - the parsed file
 * @param name - how to name the file in errors
 */
export function applyState(store: EmulatorStore, state: unknown, name = "state"): void {
  if (!state || typeof state !== "object" || Array.isArray(state)) {
    throw new StateFileError(`${name}: expected a mapping with users, apps, conversations and robots`);
  }
  const s = state as Record<string, unknown>;
  const each = (key: keyof StateFile, create: (entry: unknown) => void) => {
    const list = s[key] ?? [];
    if (!Array.isArray(list)) throw new StateFileError(`${name}: ${key} must be a list`);
    list.forEach((entry, index) => {
      try {
        create(entry);
      } catch (error) {
        if (error instanceof ControlError)
          throw new StateFileError(`${name}: ${key}[${index}]: ${error.message}`);
        throw error;
      }
    });
  };
  each("users", (entry) => store.createUser(userInput(entry, store)));
  each("apps", (entry) => store.createApp(appInput(entry, store)));
  each("conversations", (entry) => store.createConversation(conversationInput(entry, store)));
  each("robots", (entry) => store.createRobot(robotInput(entry, store)));
}

/** Shape of a state file. */
export interface StateFile {
  users?: UserInput[];
  apps?: AppInput[];
  conversations?: ConversationInput[];
  robots?: RobotInput[];
}
