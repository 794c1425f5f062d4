import { addMessageFlags } from "../message-flags.js";
import { collect } from "../parse-flags.js";
import { addAppFlags } from "./app-flags.js";
import type { RegisterCommand } from "./register.js";
import type { RobotRecallFlags, RobotSendFlags } from "./robot-flags.js";

const ROBOT_CODE_HELP = "the robot (default: the app key, as for internal apps)";

/**
 * `dingbot robot send | recall`: messages, pictures, files, voice notes and videos from the app's robot
 * through the OpenAPI, 1:1 or to a group, and their recall.
 */
export const registerRobot: RegisterCommand = (program, io, setExit) => {
  const robot = program.command("robot").description("the app robot's OpenAPI (api.dingtalk.com)");
  const send = robot
    .command("send")
    .description("send a message, picture, file, voice note or video 1:1 or to a group, without a webhook")
    .option("--user-id <userId>", "a recipient's userid, repeatable", collect, [])
    .option("--conversation-id <id>", "the group's openConversationId")
    .option("--robot-code <code>", ROBOT_CODE_HELP)
    .option(
      "--msg-key <key>",
      "a message template: sampleText, sampleMarkdown, sampleLink, sampleActionCard…",
    )
    .option("--param <key=value>", "a field of the template's msgParam, repeatable", collect, []);
  addMessageFlags(send, { mentions: false });
  send
    .option(
      "--image <file|url>",
      "send a picture: a jpg/png/gif/bmp file (≤ 20 MiB, uploaded) or an http(s) URL",
    )
    .option("--file <file>", "send a file (any format, ≤ 20 MiB)")
    .option("--file-name <name>", "the name people see for --file (default: the file's own name)")
    .option("--audio <file>", "send a voice note: amr, mp3 or wav, ≤ 2 MiB (needs --duration)")
    .option("--video <file>", "send a video: mp4, ≤ 20 MiB (needs --cover and --duration)")
    .option("--cover <file>", "the picture shown before --video plays")
    .option(
      "--duration <ms>",
      "length of --audio or --video in milliseconds (4500), or with a unit (4.5s, 2m)",
    );
  addAppFlags(send, { agent: false })
    .addHelpText(
      "after",
      `
Examples:
  dingbot robot send --user-id manager1234 --text '构建完成'
  dingbot robot send --conversation-id cid… --msg-key sampleMarkdown --param title=日报 --param text='**完成**'
  dingbot robot send --conversation-id cid… --image chart.png
  dingbot robot send --user-id manager1234 --file report.pdf --file-name 日报.pdf
  dingbot robot send --user-id manager1234 --audio note.mp3 --duration 4.5s

Files are checked against DingTalk's limits before anything is uploaded.
Exit codes: 0 sent to everyone, 1 DingTalk refused or a userid was invalid, 2 bad usage or a file
DingTalk does not take (too large, wrong format; nothing sent).`,
    )
    .action(async (flags: RobotSendFlags) => {
      const { runRobotSend } = await import("./robot-action.js");
      setExit(await runRobotSend(flags, io));
    });

  const recall = robot
    .command("recall")
    .description("recall robot messages sent within 24 h")
    .argument("<keys...>", "the messages' processQueryKeys, as `robot send` printed them")
    .option("--conversation-id <id>", "the group the messages went to (without it: 1:1 messages)")
    .option("--robot-code <code>", ROBOT_CODE_HELP);
  addAppFlags(recall, { agent: false })
    .addHelpText(
      "after",
      `
Examples:
  dingbot robot recall 'pqk…'                          # a 1:1 message (otoMessages/batchRecall)
  dingbot robot recall 'pqk…' --conversation-id cid…   # a group message (groupMessages/recall)

Exit codes: 0 all recalled, 1 DingTalk refused or a message could not be recalled, 2 bad usage.`,
    )
    .action(async (keys: string[], flags: RobotRecallFlags) => {
      const { runRobotRecall } = await import("./robot-action.js");
      setExit(await runRobotRecall(keys, flags, io));
    });
};
