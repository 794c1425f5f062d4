/**
 * The actions of `dingbot card send | update | stream`. Credentials, client, printer and error reports are
 * the ones `dingbot robot send` uses, so the env, flags and exit codes are the same.
 * @module
 */
import type { CardTarget } from "dingbot-sdk/client";
import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { parseKeyValues } from "../parse-flags.js";
import { type Printer, printer } from "../printer.js";
import { reportError } from "../report-error.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";
import type {
  CardFlags,
  CardSendFlags,
  CardStreamFlags,
  CardTargetFlags,
  CardUpdateFlags,
} from "./card-flags.js";

/** Runs `dingbot card send`. */
export async function runCardSend(flags: CardSendFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    const to = target(flags, "send");
    if (!flags.template) {
      throw new CliUsageError(
        "no card template: give --template",
        "the template's id is on the card platform (卡片平台), e.g. --template xxx.schema",
      );
    }
    const data = cardData(flags.data, "send");
    const client = clientOf(flags, io, print);
    const card = await client.cards.send({
      templateId: flags.template,
      data,
      to,
      ...(flags.outTrackId ? { outTrackId: flags.outTrackId } : {}),
      signal: io.signal,
    });
    if (print.json) print.out(`${JSON.stringify({ ok: true, outTrackId: card.outTrackId })}\n`);
    // Only the id on stdout, so `id=$(dingbot card send …)` works.
    else print.out(`${card.outTrackId}\n`);
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}

/** Runs `dingbot card update OUT_TRACK_ID`. */
export async function runCardUpdate(outTrackId: string, flags: CardUpdateFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    if (!outTrackId.trim()) {
      throw new CliUsageError("the outTrackId is empty", "give the id `card send` or `card stream` printed");
    }
    const data = cardData(flags.data, "update");
    if (Object.keys(data).length === 0) {
      throw new CliUsageError(
        "nothing to update: give --data key=value (repeatable)",
        "e.g. --data status=green",
      );
    }
    const client = clientOf(flags, io, print);
    await client.cards.handle(outTrackId).update(data, { signal: io.signal });
    if (print.json) print.out(`${JSON.stringify({ ok: true, outTrackId })}\n`);
    else print.out(`updated ${outTrackId}\n`);
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}

/** Runs `dingbot card stream`: stdin into an AI card as it arrives. */
export async function runCardStream(flags: CardStreamFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    const to = target(flags, "stream");
    const client = clientOf(flags, io, print);
    const { streamAiCardTo } = await import("dingbot-sdk");
    const result = await streamAiCardTo(client, to, stdinSource(io), {
      ...(flags.title !== undefined ? { title: flags.title } : {}),
    });
    if (result.via === "markdown") {
      print.err(
        "warning: DingTalk refused the card; the whole text went out as one markdown message instead\n",
      );
    }
    if (print.json) print.out(`${JSON.stringify({ ok: true, ...result })}\n`);
    else if (result.outTrackId) print.out(`${result.outTrackId}\n`);
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}

/** `--conversation` or `--user`, exactly one. */
function target(flags: CardTargetFlags, command: "send" | "stream"): CardTarget {
  if (flags.conversation !== undefined && flags.user !== undefined) {
    throw new CliUsageError(
      "--conversation and --user exclude each other",
      "send to a group or to one person, one per command",
    );
  }
  if (flags.conversation) return { group: flags.conversation };
  if (flags.user) return { user: flags.user };
  throw new CliUsageError(
    "no recipient: give --conversation (a group's openConversationId) or --user (a userid)",
    `e.g. dingbot card ${command} --conversation cid… ${command === "send" ? "--template xxx.schema" : "< answer.txt"}`,
  );
}

/** `--data key=value` pairs; a key given twice keeps its last value. */
function cardData(pairs: string[], command: "send" | "update"): Record<string, string> {
  return parseKeyValues(pairs, "--data", `e.g. dingbot card ${command} … --data status=running`);
}

function clientOf(flags: CardFlags, io: CliIo, print: Printer) {
  return appClient(flags, io, credentials(flags, io, false), print, flags.robotCode);
}

/** Standard input as chunks as they arrive, or all at once where the io cannot stream it. */
async function* stdinSource(io: CliIo): AsyncIterable<string> {
  if (io.stdinChunks) {
    for await (const chunk of io.stdinChunks()) yield chunk;
    return;
  }
  yield await io.readStdin();
}
