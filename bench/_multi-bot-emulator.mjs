// Child process of bench/multi-bot.mjs: the emulator in its own process, so its CPU and memory are not
// charged to the bots being measured. Prints {"base": URL} on stdout; exits when stdin closes.
import { createEmulator } from "dingbot-tools/emulator";

const emulator = createEmulator({ rateLimit: 1e9 });
// Nothing reads the message log during the bench; keep the emulator's memory flat.
emulator.store.events.on("message", () => {
  if (emulator.store.messages.length > 10_000) emulator.store.messages.splice(0, 5_000);
});
const base = await emulator.listen(0);
process.stdout.write(`${JSON.stringify({ base })}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await emulator.close();
  process.exit(0);
});
