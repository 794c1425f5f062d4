// Starts bench/_multi-bot-emulator.mjs in its own process and resolves with the child and its base URL.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** @returns {Promise<{ child: import("node:child_process").ChildProcess, base: string }>} */
export async function spawnMultiBotEmulator() {
  const child = spawn(
    process.execPath,
    [
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      new URL("_multi-bot-emulator.mjs", import.meta.url).pathname,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  return { child, base: JSON.parse(line).base };
}
