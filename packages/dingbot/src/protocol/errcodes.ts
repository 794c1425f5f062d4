/**
 * DingTalk's `/robot/send` errcodes (protocol section 1.7): what each means, how to treat it, how to fix it.
 * Match on errcode, never on errmsg: DingTalk has reworded errmsg several times.
 * @module
 */

/** How a client should treat an errcode. */
export type ErrcodeKind =
  /** Throttled: wait out the rate window, then retry. */
  | "rate-limit"
  /** Security settings or credentials are wrong: fix the configuration; retrying will not help. */
  | "config"
  /** The channel is gone (token unknown, robot disabled, group disbanded): stop sending to it. */
  | "permanent"
  /** The message itself was refused (type, content, size): change the message. */
  | "content"
  /** DingTalk was busy: retrying later is safe. */
  | "transient";

/** One row of the errcode table. */
export interface ErrcodeInfo {
  readonly errcode: number;
  readonly kind: ErrcodeKind;
  /** What it means, in English. */
  readonly meaning: string;
  /** How to fix it. */
  readonly hint: string;
}

const rows: ErrcodeInfo[] = [
  {
    errcode: -1,
    kind: "transient",
    meaning: "DingTalk is busy",
    hint: "Retry in a few seconds (at most 3 times).",
  },
  {
    errcode: 310000,
    kind: "config",
    meaning: "the robot's security check failed (keyword, signature, timestamp or IP whitelist)",
    hint: "Read errmsg: include one of the robot's keywords in the message, sign with the robot's SEC… secret and a current timestamp, or add this machine's egress IP to the robot's whitelist.",
  },
  {
    errcode: 300001,
    kind: "permanent",
    meaning: "the token or session does not exist (or msgtype is missing)",
    hint: "Copy the webhook URL again from the group's robot settings; a sessionWebhook expires after about 90 minutes.",
  },
  {
    errcode: 300005,
    kind: "permanent",
    meaning: "the access_token does not exist",
    hint: "Copy the webhook URL again from the group's robot settings (智能群助手).",
  },
  {
    errcode: 400101,
    kind: "permanent",
    meaning: "the access_token does not exist",
    hint: "Copy the webhook URL again from the group's robot settings (智能群助手).",
  },
  {
    errcode: 40035,
    kind: "content",
    meaning: "a required parameter is missing",
    hint: "Send a JSON body and the access_token query parameter.",
  },
  { errcode: 43002, kind: "content", meaning: "the request must be a POST", hint: "Use HTTP POST." },
  {
    errcode: 43004,
    kind: "content",
    meaning: "the Content-Type header is missing or wrong",
    hint: "Send the header Content-Type: application/json.",
  },
  {
    errcode: 130101,
    kind: "rate-limit",
    meaning: "more than 20 messages in a minute",
    hint: "Send at most 20 messages per minute per robot; DingTalk blocks the robot for 10 minutes after that.",
  },
  {
    errcode: 410100,
    kind: "rate-limit",
    meaning: "sending too fast, throttled",
    hint: "Send at most 20 messages per minute per robot; DingTalk blocks the robot for 10 minutes after that.",
  },
  {
    errcode: 660026,
    kind: "rate-limit",
    meaning: "too many messages per minute",
    hint: "Send at most 20 messages per minute per robot; DingTalk blocks the robot for 10 minutes after that.",
  },
  {
    errcode: 400013,
    kind: "permanent",
    meaning: "the group was disbanded",
    hint: "Send to another group's robot.",
  },
  {
    errcode: 400102,
    kind: "permanent",
    meaning: "the robot is disabled",
    hint: "Ask the group admin to enable the robot.",
  },
  {
    errcode: 400105,
    kind: "content",
    meaning: "unsupported msgtype",
    hint: "Use text, link, markdown, actionCard or feedCard.",
  },
  {
    errcode: 400106,
    kind: "permanent",
    meaning: "the robot does not exist or is not in the group",
    hint: "Check that the robot is still in the group.",
  },
  {
    errcode: 430101,
    kind: "content",
    meaning: "the message contains an unsafe external link",
    hint: "Remove or replace the link.",
  },
  {
    errcode: 430102,
    kind: "content",
    meaning: "the message contains inappropriate text",
    hint: "Change the text.",
  },
  {
    errcode: 430103,
    kind: "content",
    meaning: "the message contains an inappropriate image",
    hint: "Change the image.",
  },
  {
    errcode: 430104,
    kind: "content",
    meaning: "the message contains inappropriate content",
    hint: "Change the content.",
  },
  {
    errcode: 460101,
    kind: "content",
    meaning: "the message body is too large",
    hint: "Keep the JSON body under 20000 bytes, or let dingbot split long text (split: true).",
  },
  {
    errcode: 90030,
    kind: "rate-limit",
    meaning: "the webhook's daily call quota is used up",
    hint: "Wait until tomorrow.",
  },
];

/** Every errcode dingbot knows for `/robot/send`, keyed by errcode. */
export const ROBOT_ERRCODES: ReadonlyMap<number, ErrcodeInfo> = new Map(
  rows.map((row) => [row.errcode, row]),
);

/** errmsg fragments that mean throttling whatever the errcode (DingTalk has used several codes). */
const RATE_LIMIT_WORDS = ["too fast", "限流", "too many"];

/**
 * Looks an errcode up; unknown codes are classified from errmsg, and otherwise treated as content errors.
 * @param errcode - DingTalk's errcode
 * @param errmsg - DingTalk's errmsg, used only to recognise throttling under an unknown code
 */
export function describeErrcode(errcode: number, errmsg = ""): ErrcodeInfo {
  const known = ROBOT_ERRCODES.get(errcode);
  if (known) return known;
  const lower = errmsg.toLowerCase();
  if (RATE_LIMIT_WORDS.some((word) => lower.includes(word))) {
    return {
      errcode,
      kind: "rate-limit",
      meaning: "throttled",
      hint: "Wait a minute and send fewer messages.",
    };
  }
  return {
    errcode,
    kind: "content",
    meaning: "DingTalk refused the request",
    hint: "Read errmsg for the reason.",
  };
}
