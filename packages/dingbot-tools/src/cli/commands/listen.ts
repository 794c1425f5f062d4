import { addTransportFlags, type TransportFlags } from "./bot-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot listen`: prints every message DingTalk delivers, as one JSON line each. */
export const registerListen: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("listen")
    .description("print every message DingTalk delivers to the robot as one JSON line (answers nothing)");
  addTransportFlags(command, { answer: false }).action(async (flags: TransportFlags) => {
    const { runListen } = await import("./listen-action.js");
    setExit(await runListen(flags, io));
  });
};
