// Shared by the benches' emulator child processes (and app-api.mjs's child branch): the line a parent waits
// for, the exit on stdin's end, and a message log kept short.

/**
 * Prints `info` as one JSON line on stdout (the parent reads it), then keeps the process until stdin closes
 * and closes the emulator then.
 * @param {{ close(): Promise<void> }} emulator
 * @param {unknown} info
 */
export function announceUntilStdinCloses(emulator, info) {
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await emulator.close();
    process.exit(0);
  });
}

/**
 * Nothing reads the message log during a bench: keeps the emulator's memory flat by dropping the older half
 * of the log once it holds more than `max` messages.
 * @param {{ store: { events: import("node:events").EventEmitter, messages: unknown[] } }} emulator
 * @param {number} max
 */
export function keepMessageLogShort(emulator, max = 10_000) {
  emulator.store.events.on("message", () => {
    if (emulator.store.messages.length > max) emulator.store.messages.splice(0, max / 2);
  });
}
