// Child process of bench/media.mjs: an emulator on a loopback port with room for every file the bench
// stores, so its CPU and memory are not charged to the client being measured. Prints {"base"} on stdout;
// exits when stdin closes.
import { createEmulator } from "dingbot-tools/emulator";
import { announceUntilStdinCloses } from "./_emulator-child.mjs";

const emulator = createEmulator({
  rateLimit: 1e9,
  callbackAttempts: 1,
  mediaMaxStoredBytes: 4 * 1024 * 1024 * 1024,
});
const base = await emulator.listen(0);
announceUntilStdinCloses(emulator, { base });
