import { addTransportFlags, type TransportFlags } from "./bot-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot serve FILE…`: runs one bot module, or several bots, over DingTalk's HTTP callback or Stream. */
export const registerServe: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("serve")
    .description(
      "run a bot (a .ts or .js file whose default export is a Bot) on DingTalk's HTTP callback, or Stream mode with --stream; several files, or a file exporting a Bots or several Bots, run several robots in one process",
    )
    .argument("<file...>", "the bot module(s), e.g. examples/answer-bot.ts");
  addTransportFlags(command, { answer: true }).action(async (files: string[], flags: TransportFlags) => {
    const { runServe } = await import("./serve-action.js");
    setExit(await runServe(files, flags, io));
  });
  command.addHelpText(
    "after",
    `
Several robots in one process: pass several files (each bot is named after its
file), or one file whose default export is a Bots (bots.add(name, bot, {appKey,
appSecret})) or whose named exports are Bots (named after the export). Each bot
answers on <--path>/<name> (one port) or on its own Stream connection, with the
credentials its Bots entry gives, else DINGTALK_<NAME>_APP_KEY and
DINGTALK_<NAME>_APP_SECRET (NAME upper-cased, "-" as "_").`,
  );
};
