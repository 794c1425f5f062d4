import type { RobotTemplateMessage } from "dingbot-sdk/protocol";
import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { buildMessageFromFlags } from "../message-flags.js";
import { parseKeyValues } from "../parse-flags.js";
import { printer } from "../printer.js";
import { reportError } from "../report-error.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";
import type { RobotSendFlags } from "./robot-flags.js";

/** Runs `dingbot robot send`. */
export async function runRobotSend(flags: RobotSendFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    if (flags.userId.length === 0 && !flags.conversationId) {
      throw new CliUsageError(
        "no recipient: give --user-id (repeatable) or --conversation-id",
        "e.g. dingbot robot send --user-id manager1234 --text hi",
      );
    }
    if (flags.userId.length > 0 && flags.conversationId) {
      throw new CliUsageError(
        "--user-id and --conversation-id exclude each other",
        "send 1:1 or to a group, one per command",
      );
    }
    const template = await buildTemplate(flags, io);
    const client = appClient(flags, io, credentials(flags, io, false), print, flags.robotCode);
    if (flags.conversationId) {
      const { processQueryKey } = await client.robot.sendToGroup(flags.conversationId, template, {
        signal: io.signal,
      });
      if (print.json) print.out(`${JSON.stringify({ ok: true, processQueryKey })}\n`);
      else
        print.out(
          `sent ${template.msgKey} to group ${flags.conversationId} (processQueryKey ${processQueryKey})\n`,
        );
      return EXIT.OK;
    }
    const result = await client.robot.sendToUsers(flags.userId, template, { signal: io.signal });
    const failed = [...result.invalidUserIds, ...result.flowControlledUserIds];
    if (print.json) print.out(`${JSON.stringify({ ok: failed.length === 0, ...result })}\n`);
    else {
      // A userid given twice is one person (and one message): count distinct ids on both sides.
      const people = new Set(flags.userId).size;
      const sent = people - new Set(failed).size;
      print.out(
        `sent ${template.msgKey} to ${sent} of ${people} people (processQueryKey ${result.processQueryKeys.join(", ")})\n`,
      );
      for (const id of result.invalidUserIds) print.out(`${id}: NOT sent — no such userid\n`);
      for (const id of result.flowControlledUserIds)
        print.out(`${id}: NOT sent — throttled by DingTalk (flow control)\n`);
    }
    return failed.length === 0 ? EXIT.OK : EXIT.FAILURE;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}

/** `--msg-key` + `--param`, or the ordinary message flags converted to a template. */
async function buildTemplate(flags: RobotSendFlags, io: CliIo): Promise<RobotTemplateMessage> {
  const { check, formatIssues, isMsgKey, MSG_KEYS, MSG_PARAM_SCHEMAS } = await import("dingbot-sdk/protocol");
  if (flags.msgKey === undefined) {
    if (flags.param.length > 0) throw new CliUsageError("--param needs --msg-key");
    const { toRobotTemplate } = await import("dingbot-sdk/client");
    const body = await buildMessageFromFlags(flags, io);
    if ((body.msgtype === "text" || body.msgtype === "markdown") && body.at) {
      throw new CliUsageError(
        "--at-* flags do not apply to robot OpenAPI messages",
        "drop --at-mobile / --at-user-id / --at-all",
      );
    }
    return toRobotTemplate(body);
  }
  if (!isMsgKey(flags.msgKey)) {
    throw new CliUsageError(
      `unknown --msg-key ${JSON.stringify(flags.msgKey)}`,
      `use one of ${MSG_KEYS.join(", ")}`,
    );
  }
  const param = parseKeyValues(flags.param, "--param", "e.g. --param content=hello");
  const checked = check(MSG_PARAM_SCHEMAS[flags.msgKey], param);
  if (!checked.ok) {
    throw new CliUsageError(
      `--msg-key ${flags.msgKey}: ${formatIssues(checked.issues)}`,
      "give each field of the template with --param key=value",
    );
  }
  return { msgKey: flags.msgKey, msgParam: JSON.stringify(param) };
}
