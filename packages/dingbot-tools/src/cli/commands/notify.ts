import { addMessageFlags } from "../message-flags.js";
import { collect } from "../parse-flags.js";
import { addAppFlags } from "./app-flags.js";
import type { NotifyFlags } from "./notify-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot notify`: a work notification (工作通知) to people, departments or everyone. */
export const registerNotify: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("notify")
    .description(
      "send a work notification (工作通知) to people by mobile or userid, to departments, or to everyone",
    )
    .option("--mobile <mobile>", "a recipient's mobile number, repeatable", collect, [])
    .option("--user-id <userId>", "a recipient's userid, repeatable", collect, [])
    .option("--dept <deptId>", "a department id, repeatable", collect, [])
    .option("--all", "everyone in the organisation");
  addMessageFlags(command, { mentions: false })
    .option("--wait", "wait until DingTalk has processed the notification and print each recipient's outcome")
    .option("--timeout <duration>", "how long --wait waits, e.g. 60s or 2m (a number alone is ms)", "60s");
  addAppFlags(command, { agent: true })
    .addHelpText(
      "after",
      `
Examples:
  export DINGTALK_APP_KEY=… DINGTALK_APP_SECRET=… DINGTALK_AGENT_ID=…
  dingbot notify --mobile 13800000000 --text '报销已审批' --wait
  dingbot notify --user-id manager1234 --markdown @report.md --title 日报
  dingbot notify --dept 1 --link https://e.com/r --title 周报 --text 本周进展

Exit codes: 0 sent (with --wait: every recipient got it), 1 DingTalk refused or a recipient did not get it,
2 bad usage or invalid message (nothing sent).`,
    )
    .action(async (flags: NotifyFlags) => {
      const { runNotify } = await import("./notify-action.js");
      setExit(await runNotify(flags, io));
    });
};
