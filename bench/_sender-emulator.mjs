// Child process of bench/sender.mjs: an emulator with no rate limit on a loopback port, so the sender and
// the server do not share one event loop. Prints {"base": URL} on stdout; exits when stdin closes.
import { createEmulator } from "dingbot-tools/emulator";

const emulator = createEmulator({ rateLimit: 1e9 });
emulator.store.createRobot({ accessToken: "benchplain" });
emulator.store.createRobot({ accessToken: "benchsigned", secret: "SECbenchsecret0123456789" });
// Nothing reads the log during the bench; keep memory flat.
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
