import { addTransportFlags, type TransportFlags } from "./bot-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot serve FILE`: runs a bot module over DingTalk's HTTP callback. */
export const registerServe: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("serve")
    .description(
      "run a bot (a .ts or .js file whose default export is a Bot) on DingTalk's HTTP callback, or Stream mode with --stream",
    )
    .argument("<file>", "the bot module, e.g. examples/answer-bot.ts");
  addTransportFlags(command, { answer: true }).action(async (file: string, flags: TransportFlags) => {
    const { runServe } = await import("./serve-action.js");
    setExit(await runServe(file, flags, io));
  });
};
