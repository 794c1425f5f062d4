import { Option } from "commander";
import { addMessageFlags } from "../message-flags.js";
import { collect } from "../parse-flags.js";
import type { RegisterCommand } from "./register.js";
import type { SendFlags } from "./send-flags.js";

/** `dingbot send`: posts one message through a group custom robot's webhook. */
export const registerSend: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("send")
    .description("send one message to a DingTalk group through a custom robot's webhook")
    .option("--webhook <url>", "the robot's webhook URL with access_token (env DINGTALK_WEBHOOK)")
    .option("--secret <secret>", "the robot's SEC… secret for 加签 mode (env DINGTALK_SECRET)")
    .option(
      "--keyword <keyword>",
      "a keyword of the robot (关键词 mode): refuse messages without one before sending, repeatable",
      collect,
      [],
    );
  addMessageFlags(command)
    .option("--dry-run", "print the exact JSON body and send nothing")
    .addOption(new Option("--output <format>", "result format").choices(["text", "json"]).default("text"))
    .option("--verbose", "log each request to stderr (token, signature and secret masked)")
    .option(
      "--base-url <url>",
      "one URL standing for DingTalk's hosts, e.g. the emulator (env DINGTALK_BASE_URL)",
    )
    .addHelpText(
      "after",
      `
Examples:
  dingbot send --webhook "$URL" --secret "$SEC" --text '构建完成' --at-mobile 13800000000
  dingbot send --markdown @report.md --title 日报
  dingbot send --action-card '## 审批' --title 审批 --button '同意=https://e.com/ok' --button '拒绝=https://e.com/no'
  echo '{"msgtype":"text","text":{"content":"hi"}}' | dingbot send --json -

Exit codes: 0 sent, 1 DingTalk refused or the network failed, 2 bad usage or invalid message (nothing sent).`,
    )
    .action(async (flags: SendFlags) => {
      const { runSend } = await import("./send-action.js");
      setExit(await runSend(flags, io));
    });
};
