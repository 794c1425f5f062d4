/**
 * The robot OpenAPI's message templates (protocol section 4.3): each `msgKey` with the schema of its
 * `msgParam`. DingTalk wants `msgParam` as a JSON *string*; {@link robotMessage} serialises it.
 * @module
 */
import { z } from "zod";

const s = z.string().min(1);

/** `title`, `text` and `actionTitle1…n` / `actionURL1…n` of the vertical-button cards. */
function verticalButtons<N extends 2 | 3 | 4 | 5>(n: N) {
  const shape: Record<string, z.ZodString> = { title: s, text: s };
  for (let i = 1; i <= n; i += 1) {
    shape[`actionTitle${i}`] = s;
    shape[`actionURL${i}`] = s;
  }
  return z.object(shape);
}

/** The msgParam fields of one vertical-button card with `N` buttons. */
type VerticalButtons<N extends number, Acc extends unknown[] = [unknown]> = Acc["length"] extends N
  ? { [K in `actionTitle${Acc["length"]}` | `actionURL${Acc["length"]}`]: string }
  : { [K in `actionTitle${Acc["length"]}` | `actionURL${Acc["length"]}`]: string } & VerticalButtons<
      N,
      [...Acc, unknown]
    >;

/** Schema of each msgKey's msgParam object. */
export const MSG_PARAM_SCHEMAS = {
  sampleText: z.object({ content: s }),
  sampleMarkdown: z.object({ title: s, text: s }),
  sampleImageMsg: z.object({ photoURL: s }),
  sampleLink: z.object({ text: s, title: s, picUrl: z.string(), messageUrl: s }),
  sampleActionCard: z.object({ title: s, text: s, singleTitle: s, singleURL: s }),
  sampleActionCard2: verticalButtons(2) as unknown as z.ZodType<
    { title: string; text: string } & VerticalButtons<2>
  >,
  sampleActionCard3: verticalButtons(3) as unknown as z.ZodType<
    { title: string; text: string } & VerticalButtons<3>
  >,
  sampleActionCard4: verticalButtons(4) as unknown as z.ZodType<
    { title: string; text: string } & VerticalButtons<4>
  >,
  sampleActionCard5: verticalButtons(5) as unknown as z.ZodType<
    { title: string; text: string } & VerticalButtons<5>
  >,
  sampleActionCard6: z.object({
    title: s,
    text: s,
    buttonTitle1: s,
    buttonUrl1: s,
    buttonTitle2: s,
    buttonUrl2: s,
  }),
  sampleAudio: z.object({ mediaId: s, duration: z.string().regex(/^\d+$/) }),
  sampleFile: z.object({ mediaId: s, fileName: s, fileType: s }),
  sampleVideo: z.object({
    duration: z.string().regex(/^\d+$/),
    videoMediaId: s,
    videoType: s,
    picMediaId: s,
  }),
} as const;

/** Every msgKey DingTalk's robot OpenAPI knows. */
export type MsgKey = keyof typeof MSG_PARAM_SCHEMAS;
/** The msgParam object of a msgKey, e.g. `MsgParam<"sampleMarkdown">` is `{title, text}`. */
export type MsgParam<K extends MsgKey> = z.infer<(typeof MSG_PARAM_SCHEMAS)[K]>;
/** Every msgKey, in catalogue order. */
export const MSG_KEYS = Object.keys(MSG_PARAM_SCHEMAS) as MsgKey[];

/** Whether a string is a known msgKey. */
export function isMsgKey(value: string): value is MsgKey {
  return Object.hasOwn(MSG_PARAM_SCHEMAS, value);
}

/** A msgKey with its msgParam serialised the way DingTalk wants it. */
export interface RobotTemplateMessage<K extends MsgKey = MsgKey> {
  msgKey: K;
  /** JSON string of {@link MsgParam}. */
  msgParam: string;
}

/**
 * Builds `{msgKey, msgParam}` with a type-checked msgParam object, serialised as a JSON string.
 * @param msgKey - a template from the catalogue
 * @param msgParam - its fields
 * @example
 * robotMessage("sampleMarkdown", { title: "Deploy", text: "**done**" })
 * // → { msgKey: "sampleMarkdown", msgParam: '{"title":"Deploy","text":"**done**"}' }
 */
export function robotMessage<K extends MsgKey>(msgKey: K, msgParam: MsgParam<K>): RobotTemplateMessage<K> {
  return { msgKey, msgParam: JSON.stringify(msgParam) };
}
