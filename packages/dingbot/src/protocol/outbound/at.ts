import { z } from "zod";

/** The `at` object: who a text or markdown message mentions. */
export const AtSchema = z.object({
  atMobiles: z.array(z.string().min(1)).optional(),
  atUserIds: z.array(z.string().min(1)).optional(),
  isAtAll: z.boolean().optional(),
});
/** Mentions of a text or markdown message. The text must also contain `@<mobile>` or `@<userId>`. */
export type At = z.infer<typeof AtSchema>;

/**
 * Adds the `@mobile` / `@userId` tokens DingTalk needs in the text for a mention to render,
 * for each mention the text does not already contain.
 * @param text - the message text
 * @param at - the mentions
 */
export function withMentionTokens(text: string, at: At | undefined): string {
  if (!at) return text;
  const tokens = [...(at.atMobiles ?? []), ...(at.atUserIds ?? [])]
    .map((id) => `@${id}`)
    .filter((token) => !text.includes(token));
  return tokens.length === 0 ? text : `${text}\n${tokens.join(" ")}`;
}
