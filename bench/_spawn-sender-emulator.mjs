// Starts bench/_sender-emulator.mjs (an emulator without a rate limit) in its own process, so its CPU is not
// charged to the sender being measured, and resolves with the child and the base URL it printed.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** @returns {Promise<{ child: import("node:child_process").ChildProcess, base: string }>} */
export async function spawnSenderEmulator() {
  const child = spawn(
    process.execPath,
    [
      "--conditions=dingbot:source",
      "--import",
      "tsx",
      new URL("_sender-emulator.mjs", import.meta.url).pathname,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  return { child, base: JSON.parse(line).base };
}
