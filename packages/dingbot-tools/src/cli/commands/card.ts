/**
 * `dingbot card send | update | stream`: interactive cards from the command line, through the app's
 * card API (card_1_0), with the same credentials, flags and exit codes as `dingbot robot send`.
 * @module
 */
import type { Command } from "commander";
import { collect } from "../parse-flags.js";
import { addAppFlags } from "./app-flags.js";
import type { CardSendFlags, CardStreamFlags, CardUpdateFlags } from "./card-flags.js";
import type { RegisterCommand } from "./register.js";

const EXIT_CODES =
  "Exit codes: 0 done, 1 DingTalk refused (or the network failed), 2 bad usage (nothing sent).";

/** The flags every card command has. */
function addCardFlags(command: Command): Command {
  command.option("--robot-code <code>", "the robot that posts (default: the app key, as for internal apps)");
  return addAppFlags(command, { agent: false });
}

/** Where the card goes. */
function addTargetFlags(command: Command): Command {
  return command
    .option("--conversation <id>", "a group's openConversationId")
    .option("--user <userId>", "a person's userid: the card goes to their 1:1 chat with the robot");
}

/** Registers `dingbot card` and its three subcommands. */
export const registerCard: RegisterCommand = (program, io, setExit) => {
  const card = program
    .command("card")
    .description("interactive cards through the app's card API: send, update, stream an AI answer");

  const send = card
    .command("send")
    .description("send a card of a template to a group or a person; prints its outTrackId")
    .option("--template <id>", "the card template's id (from the card platform, e.g. xxx.schema)")
    .option("--data <key=value>", "a variable of the card, repeatable", collect, [])
    .option("--out-track-id <id>", "the card's id (default: a random UUID)");
  addTargetFlags(send);
  addCardFlags(send)
    .addHelpText(
      "after",
      `
Examples:
  id=$(dingbot card send --template build.schema --data status=running --conversation cid…)
  dingbot card update "$id" --data status=green

${EXIT_CODES}`,
    )
    .action(async (flags: CardSendFlags) => {
      const { runCardSend } = await import("./card-action.js");
      setExit(await runCardSend(flags, io));
    });

  const update = card
    .command("update")
    .description("change variables of a card sent earlier (merged by key)")
    .argument("<outTrackId>", "the card's id, as `card send` or `card stream` printed it")
    .option("--data <key=value>", "a variable of the card, repeatable", collect, []);
  addCardFlags(update)
    .addHelpText(
      "after",
      `
Example:
  dingbot card update 4f1c… --data status=green --data took=42s

${EXIT_CODES}`,
    )
    .action(async (outTrackId: string, flags: CardUpdateFlags) => {
      const { runCardUpdate } = await import("./card-action.js");
      setExit(await runCardUpdate(outTrackId, flags, io));
    });

  const stream = card
    .command("stream")
    .description("stream standard input into an AI card as it arrives; prints the card's outTrackId")
    .option("--title <title>", "the card's title");
  addTargetFlags(stream);
  addCardFlags(stream)
    .addHelpText(
      "after",
      `
Examples:
  some-llm-cli "问题" | dingbot card stream --conversation cid… --title 回答
  tail -n 50 build.log | dingbot card stream --user manager1234

The text goes out in coalesced snapshots (at most one request in flight, one every 300 ms). When DingTalk
refuses the card, the whole text is sent as one markdown message instead (a line on stderr says so).

${EXIT_CODES}`,
    )
    .action(async (flags: CardStreamFlags) => {
      const { runCardStream } = await import("./card-action.js");
      setExit(await runCardStream(flags, io));
    });
};
