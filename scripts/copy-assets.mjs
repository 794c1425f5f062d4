// Copies the emulator's chat page into dist (tsc only emits .ts files): the kinds of file the page serves
// (html, css, js, svg) and nothing else, so web/tsconfig.json, which type-checks the page's scripts, is not
// published. web/ is flat (the pack test allows dist/emulator/web/<name> only).
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";

const from = new URL("../packages/dingbot-tools/src/emulator/web/", import.meta.url);
const to = new URL("../packages/dingbot-tools/dist/emulator/web/", import.meta.url);
const SERVED = /\.(html|css|js|svg)$/;
if (existsSync(from)) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from))
    if (SERVED.test(name)) copyFileSync(new URL(name, from), new URL(name, to));
}
