import type { AppClient, DeliveryReport, RecipientOutcome } from "dingbot-sdk/client";
import { CliFailure, type CliIo, CliUsageError, EXIT } from "../io.js";
import { buildMessageFromFlags } from "../message-flags.js";
import { parseDuration } from "../parse-flags.js";
import { type Printer, printer } from "../printer.js";
import { reportError } from "../report-error.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";
import type { NotifyFlags } from "./notify-flags.js";

const OUTCOME_TEXT: Record<RecipientOutcome["outcome"], string> = {
  read: "delivered and read",
  unread: "delivered, not read yet",
  invalid: "NOT delivered: no such user in the organisation",
  forbidden: "NOT delivered: DingTalk withheld it",
  failed: "NOT delivered: sending failed",
  pending: "NOT confirmed: DingTalk had not finished when --wait gave up",
};

/** Runs `dingbot notify`. */
export async function runNotify(flags: NotifyFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    const { recipients, timeoutMs } = checkFlags(flags);
    const body = await buildMessageFromFlags(flags, io);
    const { toWorkMsg } = await import("dingbot-sdk/client");
    const msg = toWorkMsg(body);
    const client = appClient(flags, io, credentials(flags, io, true), print);
    const byMobile = await resolveMobiles(client, flags.mobile, io.signal);
    const userIds = [...new Set([...recipients.userIds, ...byMobile.values()])];
    const target = { userIds, deptIds: recipients.deptIds, toAll: recipients.toAll };
    if (!flags.wait) {
      const { taskId } = await client.workNotifications.send(target, msg, { signal: io.signal });
      if (print.json) print.out(`${JSON.stringify({ ok: true, taskId, userIds })}\n`);
      else
        print.out(
          `sent ${msg.msgtype} work notification: task ${taskId} (${describeTarget(target)}); add --wait to confirm delivery\n`,
        );
      return EXIT.OK;
    }
    const report = await client.workNotifications.sendAndConfirm(target, msg, {
      signal: io.signal,
      timeoutMs,
      onProgress: (p) => print.err(`progress: ${p.percent}% (${p.done ? "done" : "processing"})\n`),
    });
    printReport(report, byMobile, print);
    return report.allDelivered ? EXIT.OK : EXIT.FAILURE;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}

function checkFlags(flags: NotifyFlags) {
  if (flags.mobile.length === 0 && flags.userId.length === 0 && flags.dept.length === 0 && !flags.all) {
    throw new CliUsageError(
      "no recipient: give --mobile, --user-id, --dept or --all",
      "e.g. dingbot notify --mobile 13800000000 --text hi",
    );
  }
  const at = flags.atMobile.length > 0 || flags.atUserId.length > 0 || flags.atAll;
  if (at)
    throw new CliUsageError(
      "--at-mobile, --at-user-id and --at-all do not apply to work notifications",
      "a work notification goes to each recipient 1:1; drop the --at flags",
    );
  for (const dept of flags.dept) {
    if (!/^\d+$/.test(dept))
      throw new CliUsageError(
        `--dept ${JSON.stringify(dept)} is not a department id`,
        "department ids are numbers; 1 is the whole organisation",
      );
  }
  return {
    recipients: { userIds: flags.userId, deptIds: flags.dept, toAll: Boolean(flags.all) },
    // The same duration syntax as every other --timeout. At least 1 s: DingTalk needs that long to report
    // progress, and it catches a `--timeout 60` written when this flag took seconds (now 60 ms).
    timeoutMs: parseDuration(flags.timeout, "--timeout", 1000),
  };
}

/** mobile → userid, looked up concurrently; an unknown mobile fails the whole command before sending. */
async function resolveMobiles(
  client: AppClient,
  mobiles: string[],
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const pairs = await Promise.all(
    [...new Set(mobiles)].map(async (mobile) => {
      try {
        return [mobile, await client.getUserIdByMobile(mobile, { signal })] as const;
      } catch (error) {
        if ((error as { errcode?: number }).errcode === 60121) {
          throw new CliFailure(
            `no user with mobile ${mobile} in the organisation (errcode 60121); check the number, or use --user-id`,
          );
        }
        throw error;
      }
    }),
  );
  return new Map(pairs);
}

function describeTarget(target: { userIds: string[]; deptIds: string[]; toAll: boolean }): string {
  const parts: string[] = [];
  if (target.userIds.length > 0)
    parts.push(`${target.userIds.length} user${target.userIds.length > 1 ? "s" : ""}`);
  if (target.deptIds.length > 0) parts.push(`departments ${target.deptIds.join(",")}`);
  if (target.toAll) parts.push("everyone");
  return parts.join(", ");
}

function printReport(report: DeliveryReport, byMobile: Map<string, string>, print: Printer): void {
  const mobileOf = new Map([...byMobile].map(([mobile, userId]) => [userId, mobile]));
  if (print.json) {
    const recipients = report.recipients.map((r) => ({
      ...r,
      ...(mobileOf.has(r.userId) ? { mobile: mobileOf.get(r.userId) } : {}),
    }));
    print.out(
      `${JSON.stringify({ ok: report.allDelivered, taskId: report.taskId, done: report.done, recipients, invalidDeptIds: report.invalidDeptIds })}\n`,
    );
    return;
  }
  const lines = report.recipients.map((r) => {
    const who = mobileOf.has(r.userId) ? `${r.userId} (${mobileOf.get(r.userId)})` : r.userId;
    const reason = r.reason ? ` [${r.reason.code}: ${r.reason.meaning}]` : "";
    return `${who}: ${r.outcome} — ${OUTCOME_TEXT[r.outcome]}${reason}\n`;
  });
  for (const dept of report.invalidDeptIds) lines.push(`department ${dept}: invalid — no such department\n`);
  const delivered = report.recipients.filter((r) => r.outcome === "read" || r.outcome === "unread").length;
  print.out(
    `task ${report.taskId}: ${delivered} of ${report.recipients.length} recipients got it\n${lines.join("")}`,
  );
}
