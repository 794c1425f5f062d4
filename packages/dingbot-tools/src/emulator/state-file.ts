import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
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
  let lineOf: LineOf = () => undefined;
  try {
    const text = await readFile(resolve(cwd, file), "utf8");
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: true });
    if (doc.errors.length > 0) throw doc.errors[0];
    state = doc.toJS() ?? {};
    // Lines let a mistake be found in a long file: "state.yaml:7: robots[0]: unknown key secrett".
    lineOf = (path) => {
      const node = nodeAt(doc.contents, path);
      const offset = node?.range?.[0];
      return offset === undefined ? undefined : lineCounter.linePos(offset).line;
    };
  } catch (error) {
    throw new StateFileError(
      `cannot read state file ${file}: ${error instanceof Error ? error.message : error}`,
    );
  }
  applyStateAt(store, state, file, lineOf);
}

/**
 * Creates everything a parsed state lists (see {@link loadStateFile}).
 * @param store - the emulator's store
 * @param state - the parsed file
 * @param name - how to name the file in errors
 * @throws StateFileError naming the bad entry, or an unknown key (a typo such as `secrett` would otherwise
 *   be dropped silently and leave, say, a robot without its secret)
 */
export function applyState(store: EmulatorStore, state: unknown, name = "state"): void {
  applyStateAt(store, state, name, () => undefined);
}

/** The 1-based line of the YAML node at a path (keys and indexes), when known. */
type LineOf = (path: ReadonlyArray<string | number>) => number | undefined;

/** The fields each list's entries take: exactly what the matching `POST /_emulator/…` reads. */
const KNOWN_KEYS: Record<keyof StateFile, readonly string[]> = {
  users: ["userId", "mobile", "name", "unionId", "isAdmin"],
  apps: ["appKey", "appSecret", "robotCode", "agentId", "name", "callbackUrl", "mode"],
  conversations: ["conversationId", "type", "title", "members", "robots"],
  robots: ["accessToken", "secret", "keywords", "ipWhitelist", "name", "conversationId"],
};

function applyStateAt(store: EmulatorStore, state: unknown, name: string, lineOf: LineOf): void {
  const where = (path: ReadonlyArray<string | number>): string => {
    const line = lineOf(path);
    return line === undefined ? `${name}:` : `${name}:${line}:`;
  };
  if (!state || typeof state !== "object" || Array.isArray(state)) {
    throw new StateFileError(`${name}: expected a mapping with users, apps, conversations and robots`);
  }
  const s = state as Record<string, unknown>;
  const sections = Object.keys(KNOWN_KEYS);
  for (const key of Object.keys(s)) {
    if (!sections.includes(key)) throw new StateFileError(`${where([key])} ${unknownKey(key, sections)}`);
  }
  const each = (key: keyof StateFile, create: (entry: unknown) => void) => {
    const list = s[key] ?? [];
    if (!Array.isArray(list)) throw new StateFileError(`${where([key])} ${key} must be a list`);
    list.forEach((entry, index) => {
      if (entry && typeof entry === "object" && !Array.isArray(entry)) {
        for (const field of Object.keys(entry)) {
          if (!KNOWN_KEYS[key].includes(field)) {
            throw new StateFileError(
              `${where([key, index, field])} ${key}[${index}]: ${unknownKey(field, KNOWN_KEYS[key])}`,
            );
          }
        }
      }
      try {
        create(entry);
      } catch (error) {
        if (error instanceof ControlError)
          throw new StateFileError(`${where([key, index])} ${key}[${index}]: ${error.message}`);
        throw error;
      }
    });
  };
  each("users", (entry) => store.createUser(userInput(entry, store)));
  each("apps", (entry) => store.createApp(appInput(entry, store)));
  each("conversations", (entry) => store.createConversation(conversationInput(entry, store)));
  each("robots", (entry) => store.createRobot(robotInput(entry, store)));
}

/** "unknown key secrett (did you mean secret?)", or the list of known keys. */
function unknownKey(key: string, known: readonly string[]): string {
  const close = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
  return close
    ? `unknown key ${JSON.stringify(key)} (did you mean ${close}?)`
    : `unknown key ${JSON.stringify(key)} (known: ${known.join(", ")})`;
}

/** Levenshtein distance; keys are short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The node at a path: map keys name the key itself (so a line points at the typo), indexes the entry.
 * @param root - the document's contents
 * @param path - keys and indexes
 */
function nodeAt(root: unknown, path: ReadonlyArray<string | number>): Node | undefined {
  let node: unknown = root;
  for (const [i, step] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (!pair) return undefined;
      // The last step of a path names a key: point at the key, where the typo is.
      node = i === path.length - 1 ? pair.key : pair.value;
    } else if (isSeq(node) && typeof step === "number") {
      node = node.items[step];
    } else return undefined;
  }
  return node as Node | undefined;
}

/** Shape of a state file. */
export interface StateFile {
  users?: UserInput[];
  apps?: AppInput[];
  conversations?: ConversationInput[];
  robots?: RobotInput[];
}
