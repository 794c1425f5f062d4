// Child process of bench/sender.mjs: an emulator with no rate limit on a loopback port, so the sender and
// the server do not share one event loop. Prints {"base": URL} on stdout; exits when stdin closes.
import { createEmulator } from "dingbot-tools/emulator";
import { announceUntilStdinCloses, keepMessageLogShort } from "./_emulator-child.mjs";

const emulator = createEmulator({ rateLimit: 1e9 });
emulator.store.createRobot({ accessToken: "benchplain" });
emulator.store.createRobot({ accessToken: "benchsigned", secret: "SECbenchsecret0123456789" });
keepMessageLogShort(emulator, 10_000);
const base = await emulator.listen(0);
announceUntilStdinCloses(emulator, { base });
