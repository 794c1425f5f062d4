import type { DemoFlags } from "./demo-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot demo`: the emulator, two example bots, the relay and some traffic, in one process. */
export const registerDemo: RegisterCommand = (program, io, setExit) => {
  program
    .command("demo")
    .description("run the offline demo: emulator + chat page, example bots, alert relay, sample traffic")
    .option("--port <port>", "port of the emulator and its chat page", "8089")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--no-traffic", "do not post the sample alerts and messages")
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import("./demo-action.js");
      setExit(await runDemo(flags, io));
    });
};
