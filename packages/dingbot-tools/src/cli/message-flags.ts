/**
 * The message flags shared by `dingbot send` and `dingbot notify`: declaring them on a command, and turning
 * the parsed flags into one DingTalk robot message body. Each mistake becomes a CliUsageError (exit 2)
 * that names the flag and how to fix it.
 *
 * This module is imported by command registration, so it imports only commander and types at load time;
 * the protocol (and its schema library) is loaded when a message is actually built.
 * @module
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import type { RobotMessageBody } from "dingbot-sdk/protocol";
import { type CliIo, CliUsageError, errorMessage } from "./io.js";
import { collect } from "./parse-flags.js";

/** The flags {@link addMessageFlags} declares, as commander parses them. */
export interface MessageFlags {
  text?: string;
  markdown?: string;
  title?: string;
  link?: string;
  picUrl?: string;
  actionCard?: string;
  button: string[];
  singleUrl?: string;
  singleTitle?: string;
  vertical?: boolean;
  feedItem: string[];
  json?: string;
  atMobile: string[];
  atUserId: string[];
  atAll?: boolean;
}

/** Title of the whole-card link when `--single-url` comes without `--single-title`. */
export const DEFAULT_SINGLE_TITLE = "阅读全文";

/**
 * Declares the message flags on a command.
 * @param command - a commander command (e.g. `program.command("send")`)
 * @param options - `mentions: false` hides the --at-* flags from help, for channels without mentions
 *   (work notifications, robot OpenAPI); they stay declared so that using them gets a clear usage error
 * @returns the same command, for chaining
 */
export function addMessageFlags(command: Command, options: { mentions?: boolean } = {}): Command {
  const hidden = options.mentions === false;
  return command
    .option(
      "--text <text>",
      "a text message; with --link, the link's text. '-' reads stdin, '@file' reads a file",
    )
    .option("--markdown <text>", "a markdown message (needs --title); '-' or '@file' as for --text")
    .option("--title <title>", "title of a markdown, link or action card message")
    .option("--link <url>", "a link card opening URL (needs --title and --text)")
    .option("--pic-url <url>", "picture of a link card")
    .option(
      "--action-card <text>",
      "an action card with this markdown text (needs --title, and --button or --single-url)",
    )
    .option("--button <title=url>", "an action card button, repeatable", collect, [])
    .option("--single-url <url>", "make the whole action card open this URL")
    .option("--single-title <title>", `label of the whole-card link (default ${DEFAULT_SINGLE_TITLE})`)
    .option("--vertical", "stack action card buttons vertically (default side by side)")
    .option("--feed-item <title|url|picUrl>", "a feed card item, repeatable", collect, [])
    .option("--json <file>", "send a whole DingTalk message body from a JSON file ('-' reads stdin)")
    .addOption(
      new Option("--at-mobile <mobile>", "mention the group member with this mobile, repeatable")
        .argParser(collect)
        .default([])
        .hideHelp(hidden),
    )
    .addOption(
      new Option("--at-user-id <userId>", "mention the group member with this userId, repeatable")
        .argParser(collect)
        .default([])
        .hideHelp(hidden),
    )
    .addOption(new Option("--at-all", "mention everyone (@所有人)").hideHelp(hidden));
}

/** Reads a text value: `-` is stdin, `@path` a file, `@@…` a literal starting with `@`. */
async function resolveText(
  value: string,
  flag: string,
  io: CliIo,
  stdin: { used: boolean },
): Promise<string> {
  if (value === "-") {
    if (stdin.used)
      throw new CliUsageError(
        `${flag} -: stdin was already read by another flag`,
        "read at most one value from stdin",
      );
    stdin.used = true;
    return stripOneNewline(await io.readStdin());
  }
  if (value.startsWith("@@")) return value.slice(1);
  if (value.startsWith("@") && value.length > 1) {
    const text = await readFlagFile(
      io,
      value.slice(1),
      `${flag} ${value}`,
      `'@path' reads a file; to send text that starts with @ (e.g. a mention), write @@ (${flag} '@@13800000000 …')`,
    );
    return stripOneNewline(text);
  }
  return value;
}

/**
 * Reads a file a flag names, relative to the io's working directory.
 * @param what - the flag and its value, for the message
 * @throws CliUsageError saying which file could not be read and why
 */
async function readFlagFile(io: CliIo, file: string, what: string, hint: string): Promise<string> {
  const path = resolve(io.cwd, file);
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : errorMessage(error);
    throw new CliUsageError(`${what}: cannot read ${path} (${reason})`, hint);
  }
}

/** `echo hi | dingbot send --text -` should send "hi", not "hi\n". */
function stripOneNewline(text: string): string {
  return text.replace(/\r?\n$/, "");
}

function requireUrl(value: string, what: string): string {
  if (!URL.canParse(value)) {
    throw new CliUsageError(
      `${what} is not a URL: ${JSON.stringify(value)}`,
      "give a full URL such as https://example.com/page",
    );
  }
  return value;
}

/** Flags that only make sense with some message types, and which. */
const ONLY_WITH: Array<[keyof MessageFlags, string, string[]]> = [
  ["title", "--title", ["markdown", "link", "actionCard"]],
  ["picUrl", "--pic-url", ["link"]],
  ["button", "--button", ["actionCard"]],
  ["singleUrl", "--single-url", ["actionCard"]],
  ["singleTitle", "--single-title", ["actionCard"]],
  ["vertical", "--vertical", ["actionCard"]],
  ["atMobile", "--at-mobile", ["text", "markdown"]],
  ["atUserId", "--at-user-id", ["text", "markdown"]],
  ["atAll", "--at-all", ["text", "markdown"]],
];

const FLAG_OF: Record<string, string> = {
  markdown: "--markdown",
  link: "--link",
  actionCard: "--action-card",
  feedCard: "--feed-item",
  json: "--json",
  text: "--text",
};

const isSet = (value: unknown): boolean =>
  Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;

/** Which message the flags describe, or a usage error when they describe none or several. */
function messageKind(flags: MessageFlags): string {
  const chosen = (["markdown", "link", "actionCard", "json"] as const).filter(
    (key) => flags[key] !== undefined,
  ) as string[];
  if (flags.feedItem.length > 0) chosen.push("feedCard");
  if (chosen.length > 1) {
    throw new CliUsageError(
      `choose one message type; got ${chosen.map((k) => FLAG_OF[k]).join(" and ")}`,
      "send one message per command",
    );
  }
  if (chosen[0]) return chosen[0];
  if (flags.text !== undefined) return "text";
  throw new CliUsageError(
    "nothing to send: give --text, --markdown, --link, --action-card, --feed-item or --json",
    "e.g. dingbot send --text '构建完成'",
  );
}

/**
 * Builds the message the flags describe and checks it against the protocol's schema.
 * @param flags - flags parsed by commander from {@link addMessageFlags}
 * @param io - for stdin and the working directory
 * @returns a schema-valid robot message body
 * @throws CliUsageError naming the flag that is wrong and how to fix it
 * @example
 * const body = await buildMessageFromFlags({ text: "hi", atMobile: ["13800000000"], ... }, io);
 */
export async function buildMessageFromFlags(flags: MessageFlags, io: CliIo): Promise<RobotMessageBody> {
  const kind = messageKind(flags);
  for (const [key, flag, allowed] of ONLY_WITH) {
    if (isSet(flags[key]) && !allowed.includes(kind)) {
      throw new CliUsageError(
        `${flag} does not apply to ${FLAG_OF[kind]}`,
        `${flag} works with ${allowed.map((k) => FLAG_OF[k]).join(", ")}${
          kind === "json" ? "; put it inside the JSON body instead" : ""
        }`,
      );
    }
  }
  if (flags.text !== undefined && kind !== "text" && kind !== "link") {
    throw new CliUsageError(
      `--text does not apply to ${FLAG_OF[kind]}`,
      "give the message's text as the value of its own flag",
    );
  }
  const { messages, RobotMessageBodySchema, check, formatIssues } = await import("dingbot-sdk/protocol");
  const stdin = { used: false };
  const at = {
    ...(flags.atMobile.length > 0 ? { atMobiles: flags.atMobile } : {}),
    ...(flags.atUserId.length > 0 ? { atUserIds: flags.atUserId } : {}),
    ...(flags.atAll ? { isAtAll: true } : {}),
  };
  const mention = Object.keys(at).length > 0 ? { at } : {};
  const needTitle = (what: string): string => {
    if (!flags.title)
      throw new CliUsageError(
        `${what} needs --title`,
        "--title is shown in the notification and the chat list",
      );
    return flags.title;
  };
  let body: unknown;
  switch (kind) {
    case "text":
      body = messages.text(await resolveText(flags.text ?? "", "--text", io, stdin), mention);
      break;
    case "markdown": {
      const title = needTitle("--markdown");
      body = messages.markdown(
        title,
        await resolveText(flags.markdown ?? "", "--markdown", io, stdin),
        mention,
      );
      break;
    }
    case "link": {
      const title = needTitle("--link");
      if (flags.text === undefined)
        throw new CliUsageError("--link needs --text", "--text is the summary shown under the title");
      body = messages.link({
        title,
        text: await resolveText(flags.text, "--text", io, stdin),
        messageUrl: requireUrl(flags.link ?? "", "--link"),
        ...(flags.picUrl !== undefined ? { picUrl: requireUrl(flags.picUrl, "--pic-url") } : {}),
      });
      break;
    }
    case "actionCard":
      body = await actionCard(
        flags,
        needTitle("--action-card"),
        await resolveText(flags.actionCard ?? "", "--action-card", io, stdin),
      );
      break;
    case "feedCard":
      body = messages.feedCard(flags.feedItem.map(parseFeedItem));
      break;
    case "json":
      body = await readJson(flags.json ?? "", io, stdin);
      break;
  }
  const checked = check(RobotMessageBodySchema, body);
  if (!checked.ok) {
    throw new CliUsageError(
      `the message is not valid: ${formatIssues(checked.issues)}`,
      kind === "json"
        ? "fix the JSON body (see docs/sending.md for the shape of each msgtype)"
        : "give every required flag a non-empty value",
    );
  }
  return checked.value;
}

async function actionCard(flags: MessageFlags, title: string, text: string): Promise<RobotMessageBody> {
  const { messages } = await import("dingbot-sdk/protocol");
  if (flags.button.length > 0 && flags.singleUrl !== undefined) {
    throw new CliUsageError(
      "--button and --single-url exclude each other",
      "use buttons, or one link for the whole card",
    );
  }
  if (flags.singleUrl !== undefined) {
    return messages.actionCard({
      title,
      text,
      singleTitle: flags.singleTitle ?? DEFAULT_SINGLE_TITLE,
      singleURL: requireUrl(flags.singleUrl, "--single-url"),
    });
  }
  if (flags.button.length === 0) {
    throw new CliUsageError(
      '--action-card needs --button "Title=URL" (repeatable) or --single-url URL',
      "e.g. --button '同意=https://example.com/ok'",
    );
  }
  if (flags.singleTitle !== undefined) throw new CliUsageError("--single-title needs --single-url");
  const buttons = flags.button.map((spec) => {
    const eq = spec.indexOf("=");
    const buttonTitle = eq > 0 ? spec.slice(0, eq) : "";
    if (!buttonTitle)
      throw new CliUsageError(
        `--button ${JSON.stringify(spec)} is not "Title=URL"`,
        "e.g. --button '查看=https://example.com'",
      );
    return {
      title: buttonTitle,
      actionURL: requireUrl(spec.slice(eq + 1), `--button ${JSON.stringify(spec)}: the URL`),
    };
  });
  return messages.buttonsCard({ title, text, buttons, horizontal: !flags.vertical });
}

function parseFeedItem(spec: string): { title: string; messageURL: string; picURL: string } {
  const parts = spec.split("|");
  const [title, url, pic] = parts;
  if (parts.length < 2 || parts.length > 3 || !title || !url) {
    throw new CliUsageError(
      `--feed-item ${JSON.stringify(spec)} is not "Title|URL|picURL"`,
      "e.g. --feed-item '发布说明|https://e.com/r|https://e.com/p.png'",
    );
  }
  return {
    title,
    messageURL: requireUrl(url, `--feed-item ${JSON.stringify(spec)}: the URL`),
    picURL: pic ? requireUrl(pic, `--feed-item ${JSON.stringify(spec)}: the picture URL`) : "",
  };
}

async function readJson(source: string, io: CliIo, stdin: { used: boolean }): Promise<unknown> {
  let text: string;
  if (source === "-") {
    stdin.used = true;
    text = await io.readStdin();
  } else {
    text = await readFlagFile(io, source, `--json ${source}`, "give a JSON file, or - for stdin");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(
      `--json ${source}: not valid JSON (${(error as Error).message})`,
      'give a whole DingTalk body, e.g. {"msgtype":"text","text":{"content":"hi"}}',
    );
  }
}
