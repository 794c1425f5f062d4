/**
 * The emulator's token endpoints: old `GET /gettoken` (40096 on wrong credentials) and new
 * `POST /v1.0/oauth2/accessToken` (400 invalidClientIdOrSecret).
 * @module
 */
import type { EmulatorContext } from "../context.js";
import type { AppRecord } from "../store.js";
import { newRefusal, oldRefusal } from "./app-api-errors.js";
import type { EndpointHandlers } from "./endpoint-handlers.js";

function findApp(ctx: EmulatorContext, appKey: string, appSecret: string): AppRecord | undefined {
  const app = ctx.store.apps.get(appKey);
  return app && app.appSecret === appSecret ? app : undefined;
}

/** Handlers of the token endpoints. */
export const OAUTH_HANDLERS: Pick<EndpointHandlers, "oauth.getToken" | "oauth.accessToken"> = {
  "oauth.getToken": ({ args, ctx, now }) => {
    const app = findApp(ctx, args.appkey, args.appsecret);
    if (!app) throw oldRefusal(40096, "不合法的appKey或appSecret", "credentials");
    const ttl = ctx.options.tokenTtlSeconds;
    const record = ctx.appApi.tokens.issue(app.appKey, "oapi", now, ttl);
    return { errcode: 0, access_token: record.token, errmsg: "ok", expires_in: ttl };
  },
  "oauth.accessToken": ({ args, ctx, now }) => {
    const app = findApp(ctx, args.appKey, args.appSecret);
    if (!app)
      throw newRefusal(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret", "credentials");
    const ttl = ctx.options.tokenTtlSeconds;
    const record = ctx.appApi.tokens.issue(app.appKey, "api", now, ttl);
    return { accessToken: record.token, expireIn: ttl };
  },
};
