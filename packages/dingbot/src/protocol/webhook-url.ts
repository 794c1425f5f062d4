/**
 * Where a robot webhook URL carries its credential: a custom robot's webhook in the `access_token` query
 * parameter, a message's reply sessionWebhook in `session`. One reader for every part that needs the value
 * (the sender, the CLI's and the relay's redaction and config checks, the emulator's routes).
 * @module
 */

/** Query parameter of a custom robot's webhook that carries its credential. */
export const WEBHOOK_TOKEN_PARAM = "access_token";
/** Query parameter of a reply sessionWebhook that carries its credential. */
export const WEBHOOK_SESSION_PARAM = "session";

/** A query parameter that can carry a webhook's credential. */
export type WebhookTokenParam = typeof WEBHOOK_TOKEN_PARAM | typeof WEBHOOK_SESSION_PARAM;

/** A parsed query as far as {@link webhookToken} reads it: `URLSearchParams`, or a reader that answers alike. */
export interface WebhookQuery {
  /** The first value of `name`, or null, as `URLSearchParams.get` answers. */
  get(name: string): string | null;
}

/**
 * The credential of a webhook: the first of `params` present with a non-empty value.
 * @param source - the webhook URL (a string that is not a URL has none), or its parsed query
 * @param params - which parameters count, in order: `access_token` by default; add `session` to accept a
 *   reply sessionWebhook too
 * @returns the decoded value, or undefined when absent or empty
 * @example
 * webhookToken("https://oapi.dingtalk.com/robot/send?access_token=abc") // "abc"
 * webhookToken(sessionWebhook, ["access_token", "session"]) // the session value
 */
export function webhookToken(
  source: string | URL | WebhookQuery,
  params: readonly WebhookTokenParam[] = [WEBHOOK_TOKEN_PARAM],
): string | undefined {
  let query: WebhookQuery;
  if (source instanceof URL) query = source.searchParams;
  else if (typeof source !== "string") query = source;
  else if (URL.canParse(source)) query = new URL(source).searchParams;
  else return undefined;
  for (const param of params) {
    const value = query.get(param);
    if (value) return value;
  }
  return undefined;
}
