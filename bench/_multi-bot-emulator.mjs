// Child process of bench/multi-bot.mjs: the emulator in its own process, so its CPU and memory are not
// charged to the bots being measured. Prints {"base": URL} on stdout; exits when stdin closes.
import { createEmulator } from "dingbot-tools/emulator";
import { announceUntilStdinCloses, keepMessageLogShort } from "./_emulator-child.mjs";

const emulator = createEmulator({ rateLimit: 1e9 });
keepMessageLogShort(emulator, 10_000);
const base = await emulator.listen(0);
announceUntilStdinCloses(emulator, { base });
