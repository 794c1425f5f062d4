import type { RobotTarget } from "dingbot-sdk/client";
import type { RobotTemplateMessage } from "dingbot-sdk/protocol";
import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { buildMessageFromFlags } from "../message-flags.js";
import { parseKeyValues } from "../parse-flags.js";
import { printer } from "../printer.js";
import { reportError } from "../report-error.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";
import { describeMediaError, isUploadRefusal } from "./media-errors.js";
import type { RobotRecallFlags, RobotSendFlags } from "./robot-flags.js";
import { messageFlagsUsed, planMedia } from "./robot-media.js";

/** Runs `dingbot robot send`: a message, or a picture, file, voice note or video (robot-media.ts). */
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
    const media = await planMedia(flags, io);
    if (!media && messageFlagsUsed(flags).length === 0) {
      throw new CliUsageError(
        "nothing to send: give --text, --markdown, --link, --action-card, --feed-item, --json or --msg-key, or --image, --file, --audio or --video",
        "e.g. dingbot robot send --user-id manager1234 --text '构建完成'",
      );
    }
    const template = media ? undefined : await buildTemplate(flags, io);
    const msgKey = media?.msgKey ?? template?.msgKey ?? "";
    const client = appClient(flags, io, credentials(flags, io, false), print, flags.robotCode);
    const target: RobotTarget = flags.conversationId
      ? { group: flags.conversationId }
      : { users: flags.userId };
    const result = media
      ? await media.send(client, target, io.signal)
      : await client.robot.sendTo(target, template as RobotTemplateMessage, { signal: io.signal });
    if (flags.conversationId) {
      const processQueryKey = result.processQueryKeys[0];
      if (print.json) print.out(`${JSON.stringify({ ok: true, processQueryKey })}\n`);
      else
        print.out(`sent ${msgKey} to group ${flags.conversationId} (processQueryKey ${processQueryKey})\n`);
      return EXIT.OK;
    }
    const failed = [...result.invalidUserIds, ...result.flowControlledUserIds];
    if (print.json) print.out(`${JSON.stringify({ ok: failed.length === 0, ...result })}\n`);
    else {
      // A userid given twice is one person (and one message): count distinct ids on both sides.
      const people = new Set(flags.userId).size;
      const sent = people - new Set(failed).size;
      print.out(
        `sent ${msgKey} to ${sent} of ${people} people (processQueryKey ${result.processQueryKeys.join(", ")})\n`,
      );
      for (const id of result.invalidUserIds) print.out(`${id}: NOT sent — no such userid\n`);
      for (const id of result.flowControlledUserIds)
        print.out(`${id}: NOT sent — throttled by DingTalk (flow control)\n`);
    }
    return failed.length === 0 ? EXIT.OK : EXIT.FAILURE;
  } catch (error) {
    // A file the library refused before uploading it (too large, not a format DingTalk takes) is bad input.
    const code = reportError(error, print, describeMediaError("upload"), describeAppError);
    return isUploadRefusal(error) ? EXIT.USAGE : code;
  }
}

/** Runs `dingbot robot recall KEY…`: 1:1 messages (otoMessages/batchRecall), or a group's with --conversation-id. */
export async function runRobotRecall(keys: string[], flags: RobotRecallFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    const blank = keys.findIndex((key) => !key.trim());
    if (keys.length === 0 || blank >= 0) {
      throw new CliUsageError(
        keys.length === 0 ? "no message to recall: give its processQueryKey" : "a processQueryKey is empty",
        "give the processQueryKey(s) `dingbot robot send` printed",
      );
    }
    const client = appClient(flags, io, credentials(flags, io, false), print, flags.robotCode);
    const answer = flags.conversationId
      ? await client.robot.recallGroup(flags.conversationId, keys, { signal: io.signal })
      : await client.robot.recall(keys, { signal: io.signal });
    const failed = Object.entries(answer.failedResult);
    if (print.json) {
      print.out(
        `${JSON.stringify({ ok: failed.length === 0, successResult: answer.successResult, failedResult: answer.failedResult })}\n`,
      );
    } else {
      const where = flags.conversationId ? ` in group ${flags.conversationId}` : "";
      print.out(`recalled ${answer.successResult.length} of ${new Set(keys).size} messages${where}\n`);
      for (const [key, reason] of failed) print.out(`${key}: NOT recalled — ${reason}\n`);
    }
    if (failed.length === 0) return EXIT.OK;
    print.err(
      `hint: a message can be recalled within 24 h by the robot that sent it (--robot-code); a group's needs ${
        flags.conversationId ? "the group it went to" : "--conversation-id"
      }\n`,
    );
    return EXIT.FAILURE;
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
