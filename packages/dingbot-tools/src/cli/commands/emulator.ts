import { collect } from "../parse-flags.js";
import type { EmulatorFlags } from "./emulator-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot emulator`: serves the DingTalk emulator. */
export const registerEmulator: RegisterCommand = (program, io, setExit) => {
  program
    .command("emulator")
    .description("run an offline emulator of DingTalk's robot APIs, with a chat page at /")
    .option("--port <port>", "port to listen on", "8089")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--state <file>", "YAML or JSON file of robots, apps, users and conversations to create at start")
    .option("--rate-limit <n>", "custom-robot messages allowed per window", "20")
    .option("--rate-window <ms>", "length of the custom-robot rate window in ms", "60000")
    .option("--block <ms>", "how long a robot stays blocked after exceeding the rate limit, in ms", "600000")
    .option("--session-ttl <ms>", "lifetime of a message's sessionWebhook in ms", "5400000")
    .option("--callback-timeout <ms>", "how long to wait for a bot's HTTP callback answer, in ms", "5000")
    .option(
      "--callback-attempts <n>",
      "attempts per HTTP callback when the bot answers 5xx or times out",
      "3",
    )
    .option(
      "--allow-host <name>",
      "another Host name the control API and chat page answer to (e.g. a container's), repeatable",
      collect,
      [],
    )
    .option("--request-timeout <ms>", "how long a client may take to send a whole request, in ms", "30000")
    .option(
      "--rate-limit-errcode <code>",
      "errcode of a throttled custom robot: 410100 (documented), 130101 or 660026 (seen on real servers)",
      "410100",
    )
    .option(
      "--errmsg-style <style>",
      "310000 errmsg wording: current (DingTalk's today) or legacy (old English)",
      "current",
    )
    .option(
      "--redeliver-callbacks",
      "Stream: redeliver unacked robot messages after 60 s (DingTalk's doc says it does not)",
    )
    .option(
      "--card-qps <n>",
      "card calls (card_1_0) per app per API per second before 403 QpsLimitForAppkeyAndApi",
      "20",
    )
    .option("--card-data-max-bytes <n>", "largest card data the card calls accept, in bytes", "262144")
    .action(async (flags: EmulatorFlags) => {
      const { runEmulator } = await import("./emulator-action.js");
      setExit(await runEmulator(flags, io));
    });
};
