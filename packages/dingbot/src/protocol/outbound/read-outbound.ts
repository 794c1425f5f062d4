/**
 * The hot-path reader of a robot message body (what a custom robot is sent): checked by hand for the shapes
 * that make up nearly all traffic (text and markdown, with or without mentions), and by the full zod schema
 * for everything else. The hand check accepts only what the schema accepts and returns what the schema would
 * (a copy with only the schema's keys; a property test compares the two on random bodies); it exists because
 * the schema was ≈ 4 % of the emulator's `/robot/send` under load (issue 15 profile) for the same answer.
 * @module
 */
import { isJsonObject } from "../json.js";
import { type CheckResult, check } from "../validate.js";
import type { At } from "./at.js";
import { type RobotMessageBody, RobotMessageBodySchema } from "./messages.js";

const isFilled = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/** An array of non-empty strings, copied (the schema's output is a new array too), else undefined. */
function filledStrings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) if (!isFilled(value[i])) return undefined;
  return value.slice() as string[];
}

/**
 * The `at` object as the schema outputs it (its three keys only, those present), null when the schema
 * would refuse it or a key is present but undefined (the schema keeps such a key; JSON never has one).
 */
function fastAt(value: unknown): At | null {
  if (!isJsonObject(value)) return null;
  const at: At = {};
  if ("atMobiles" in value) {
    const list = filledStrings(value.atMobiles);
    if (!list) return null;
    at.atMobiles = list;
  }
  if ("atUserIds" in value) {
    const list = filledStrings(value.atUserIds);
    if (!list) return null;
    at.atUserIds = list;
  }
  if ("isAtAll" in value) {
    if (typeof value.isAtAll !== "boolean") return null;
    at.isAtAll = value.isAtAll;
  }
  return at;
}

/** The schema's output for a text or markdown body of the common shape, else undefined. */
function fastBody(value: unknown): RobotMessageBody | undefined {
  if (!isJsonObject(value)) return undefined;
  const msgtype = value.msgtype;
  let body: RobotMessageBody;
  if (msgtype === "text") {
    const text = value.text;
    if (!isJsonObject(text) || !isFilled(text.content)) return undefined;
    body = { msgtype, text: { content: text.content } };
  } else if (msgtype === "markdown") {
    const markdown = value.markdown;
    if (!isJsonObject(markdown) || !isFilled(markdown.title) || !isFilled(markdown.text)) return undefined;
    body = { msgtype, markdown: { title: markdown.title, text: markdown.text } };
  } else {
    return undefined;
  }
  if ("at" in value) {
    const at = fastAt(value.at);
    if (!at) return undefined;
    body.at = at;
  }
  return body;
}

/**
 * Checks a parsed robot message body (text, link, markdown, actionCard, feedCard) as
 * {@link RobotMessageBodySchema} does, with the same result: the body with only the schema's keys, or the
 * schema's issues.
 * @param value - the body, from `JSON.parse`
 */
export function readRobotMessageBody(value: unknown): CheckResult<RobotMessageBody> {
  const fast = fastBody(value);
  return fast ? { ok: true, value: fast } : check(RobotMessageBodySchema, value);
}
