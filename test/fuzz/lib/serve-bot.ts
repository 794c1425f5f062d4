/**
 * The example answer bot configured as `dingbot serve` configures a bot file (serve-action.ts): app key and
 * secret, the CLI's logger, `io.fetch`, and the robot OpenAPI fallback for replies without a usable
 * sessionWebhook. `io.fetch` is a stand-in for DingTalk that answers every call at once and records it, so
 * nothing leaves the machine.
 */
import { AppClient, type Bot, type Logger, openApiReplier } from "dingbot-sdk";

/** The access token the stand-in hands out: a secret that must never appear in answers or logs. */
export const FAKE_ACCESS_TOKEN = "fake-dingtalk-access-token-0123456789abcdef";

/** A fetch that plays DingTalk's token and send endpoints. */
export function fakeDingTalkFetch(outbound: string[]): typeof fetch {
  return async (input) => {
    const url = String(input instanceof Request ? input.url : input);
    outbound.push(url);
    const json = (value: unknown) =>
      new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });
    if (url.includes("/v1.0/oauth2/accessToken"))
      return json({ accessToken: FAKE_ACCESS_TOKEN, expireIn: 7200 });
    if (url.includes("/gettoken"))
      return json({ errcode: 0, errmsg: "ok", access_token: FAKE_ACCESS_TOKEN, expires_in: 7200 });
    if (url.includes("/v1.0/robot/"))
      return json({ processQueryKey: "fuzz-pqk", invalidStaffIdList: [], flowControlledStaffIdList: [] });
    return json({ errcode: 0, errmsg: "ok" });
  };
}

/**
 * Configures `bot` like `dingbot serve --app-key … --app-secret …`.
 * @returns the URLs the bot called
 */
export function configureLikeServe(
  bot: Bot,
  options: { appKey: string; appSecret: string; logger: Logger; now?: () => number },
): string[] {
  const outbound: string[] = [];
  const fetch = fakeDingTalkFetch(outbound);
  const baseUrl = "http://127.0.0.1:9";
  const apiFallback = openApiReplier(
    new AppClient({
      appKey: options.appKey,
      appSecret: options.appSecret,
      baseUrl,
      env: {},
      fetch,
      logger: options.logger,
    }),
  );
  bot.configure({
    appKey: options.appKey,
    appSecret: options.appSecret,
    robotCode: options.appKey,
    baseUrl,
    logger: options.logger,
    fetch,
    apiFallback,
    ...(options.now ? { now: options.now } : {}),
  });
  return outbound;
}
