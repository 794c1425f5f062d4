import { addMessageFlags } from "../message-flags.js";
import { collect } from "../parse-flags.js";
import { addAppFlags } from "./app-flags.js";
import type { RegisterCommand } from "./register.js";
import type { RobotSendFlags } from "./robot-flags.js";

/** `dingbot robot send`: a message from the app's robot through the OpenAPI, 1:1 or to a group. */
export const registerRobot: RegisterCommand = (program, io, setExit) => {
  const robot = program.command("robot").description("the app robot's OpenAPI (api.dingtalk.com)");
  const send = robot
    .command("send")
    .description("send a robot message 1:1 to people (20 per call) or to a group, without a webhook")
    .option("--user-id <userId>", "a recipient's userid, repeatable", collect, [])
    .option("--conversation-id <id>", "the group's openConversationId")
    .option("--robot-code <code>", "the robot (default: the app key, as for internal apps)")
    .option(
      "--msg-key <key>",
      "a message template: sampleText, sampleMarkdown, sampleLink, sampleActionCard…",
    )
    .option("--param <key=value>", "a field of the template's msgParam, repeatable", collect, []);
  addMessageFlags(send, { mentions: false });
  addAppFlags(send, { agent: false })
    .addHelpText(
      "after",
      `
Examples:
  dingbot robot send --user-id manager1234 --text '构建完成'
  dingbot robot send --conversation-id cid… --msg-key sampleMarkdown --param title=日报 --param text='**完成**'

Exit codes: 0 sent to everyone, 1 DingTalk refused or a userid was invalid, 2 bad usage (nothing sent).`,
    )
    .action(async (flags: RobotSendFlags) => {
      const { runRobotSend } = await import("./robot-action.js");
      setExit(await runRobotSend(flags, io));
    });
};
