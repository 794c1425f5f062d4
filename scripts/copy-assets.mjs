// Copies the emulator's static web page into dist (tsc only emits .ts files).
import { cpSync, existsSync } from "node:fs";

const from = new URL("../packages/dingbot-tools/src/emulator/web/", import.meta.url);
const to = new URL("../packages/dingbot-tools/dist/emulator/web/", import.meta.url);
if (existsSync(from)) cpSync(from, to, { recursive: true });
