import { ApiError, HttpError, RequestError, ValidationError, WebhookClient } from "dingbot-sdk/client";
import {
  describeErrcode,
  type RobotMessageBody,
  WEBHOOK_MAX_BODY_BYTES,
  WEBHOOK_SESSION_PARAM,
  WEBHOOK_TOKEN_PARAM,
  webhookToken,
} from "dingbot-sdk/protocol";
import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { buildMessageFromFlags } from "../message-flags.js";
import { printer } from "../printer.js";
import { type DescribeError, type ErrorReport, reportError } from "../report-error.js";
import { verboseLogger } from "../verbose-logger.js";
import type { SendFlags } from "./send-flags.js";

/** Stands in for the webhook when `--dry-run` has none: only used to validate, never contacted. */
const DRY_RUN_WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=dry-run";

/** What `--output json` prints. */
interface SendReport {
  ok: boolean;
  msgtype?: string;
  errcode?: number;
  errmsg?: string;
  parts?: number;
  attempts?: number;
  kind?: string;
  meaning?: string;
  hint?: string;
  error?: string;
}

/**
 * Runs `dingbot send`: builds the message from flags, validates it, and posts it (or prints it with --dry-run).
 * Every line it prints goes through redaction with the token and the secret.
 */
export async function runSend(flags: SendFlags, io: CliIo): Promise<number> {
  const webhook = flags.webhook ?? io.env.DINGTALK_WEBHOOK;
  const secret = flags.secret ?? io.env.DINGTALK_SECRET;
  const print = printer(io, flags.output, [tokenOf(webhook), secret]);
  let message: RobotMessageBody | undefined;
  try {
    message = await buildMessageFromFlags(flags, io);
    if (!webhook && !flags.dryRun) {
      throw new CliUsageError(
        "no webhook: pass --webhook URL or set DINGTALK_WEBHOOK",
        "copy the URL from the group's settings → 智能群助手 → your custom robot",
      );
    }
    const client = new WebhookClient({
      url: webhook ?? DRY_RUN_WEBHOOK,
      ...(secret ? { secret } : {}),
      keywords: flags.keyword,
      ...(flags.baseUrl !== undefined ? { baseUrl: flags.baseUrl } : {}),
      env: io.env,
      // The client's node:http default is lighter than the global fetch; use io.fetch only when it was replaced.
      ...(io.fetch !== globalThis.fetch ? { fetch: io.fetch } : {}),
      // One process sends one message: nothing to queue, and a rate-limit answer should fail fast with its hint.
      rateLimit: false,
      retries: { retryRateLimited: false },
      ...(flags.verbose ? { logger: verboseLogger(print.err) } : {}),
    });
    if (flags.dryRun) {
      const bodies = client.prepare(message);
      for (const body of bodies) print.out(`${JSON.stringify(body)}\n`);
      return EXIT.OK;
    }
    const result = await client.send(message, { signal: io.signal });
    if (print.json) {
      print.out(
        `${JSON.stringify({ ok: true, msgtype: message.msgtype, errcode: 0, errmsg: result.errmsg, parts: result.parts, attempts: result.attempts } satisfies SendReport)}\n`,
      );
    } else {
      print.out(
        `sent ${message.msgtype} message (errcode 0${result.attempts > 1 ? `, after ${result.attempts} attempts` : ""})\n`,
      );
    }
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeSendError(flags.keyword, message));
  }
}

/**
 * What `dingbot send` says about the webhook client's errors, in its own words: a refusal names the errcode's
 * meaning, and a failure to connect says which setting to check.
 * @param keywords - the robot's keywords (`--keyword`), for a message without one
 * @param message - the message, once built (its size, when it is too large)
 */
function describeSendError(keywords: string[], message: RobotMessageBody | undefined): DescribeError {
  return (error) => {
    if (error instanceof ValidationError) {
      return describeValidation(error, keywords, message);
    }
    if (error instanceof ApiError) return describeRefusal(error);
    if (error instanceof HttpError || error instanceof RequestError) {
      const hint =
        error instanceof HttpError
          ? "the server is not DingTalk or the emulator: check --base-url / DINGTALK_BASE_URL and the webhook URL"
          : "check the network or proxy, and --base-url / DINGTALK_BASE_URL if you use the emulator";
      return { message: error.message, hint };
    }
    return undefined;
  };
}

/** DingTalk refused the message: the errcode, what it means, and its own JSON line. */
function describeRefusal(error: ApiError): ErrorReport {
  const info = error.errcode !== undefined ? describeErrcode(error.errcode, error.errmsg) : undefined;
  const meaning = info?.meaning ?? "DingTalk refused the request";
  return {
    message: `DingTalk refused the message: errcode ${error.errcode ?? error.apiCode ?? error.status} (${meaning}): ${error.errmsg}`,
    ...(error.hint ? { hint: error.hint } : {}),
    json: {
      ok: false,
      ...(error.errcode !== undefined ? { errcode: error.errcode } : {}),
      errmsg: error.errmsg,
      kind: error.kind,
      meaning,
      ...(error.hint ? { hint: error.hint } : {}),
    } satisfies SendReport,
  };
}

/**
 * What the client refused before sending, in CLI terms: the library's own sentences name library options
 * (injectKeyword, split) that the command does not have.
 */
function describeValidation(
  error: ValidationError,
  keywords: string[],
  message: RobotMessageBody | undefined,
): ErrorReport & { hint: string } {
  const issue = error.issues[0];
  if (issue?.code === "no-keyword") {
    return {
      message: `the message contains none of the robot's keywords (${keywords.join(", ")}): DingTalk would refuse it with 310000`,
      hint: "put one of the keywords into the text; nothing was sent",
    };
  }
  if (issue?.code === "too-large" && message !== undefined) {
    // The client posts the message as it is (no split, no keyword added): its size is the body's.
    const bytes = Buffer.byteLength(JSON.stringify(message), "utf8");
    return {
      message: `the message body is ${bytes} bytes but DingTalk accepts at most ${WEBHOOK_MAX_BODY_BYTES}`,
      hint: "shorten it, or send it as several messages; nothing was sent",
    };
  }
  if (issue?.path === "url") {
    return {
      message: error.message,
      hint: "copy the whole webhook URL from the group's robot settings; nothing was sent",
    };
  }
  return { message: error.message, hint: "fix the value named above; nothing was sent" };
}

/** The access token of a webhook URL, to mask wherever it might be printed. */
function tokenOf(webhook: string | undefined): string | undefined {
  return webhook ? webhookToken(webhook, [WEBHOOK_TOKEN_PARAM, WEBHOOK_SESSION_PARAM]) : undefined;
}
