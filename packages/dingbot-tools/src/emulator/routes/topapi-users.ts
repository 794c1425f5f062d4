/**
 * User lookup: `topapi/v2/user/getbymobile`, the legacy `user/get_by_mobile` (userid at the top level),
 * and `topapi/v2/user/get`. Unknown people → errcode 60121 找不到该用户.
 * @module
 */

import { oldRefusal, requestId } from "./app-api-errors.js";
import type { EndpointHandlers } from "./endpoint-handlers.js";

const NOT_FOUND = "找不到该用户";

/** Handlers of the user endpoints. */
export const TOPAPI_USER_HANDLERS: Pick<
  EndpointHandlers,
  "user.getByMobile" | "user.getByMobileLegacy" | "user.get"
> = {
  "user.getByMobile": ({ args, ctx }) => {
    const user = ctx.store.findUserByMobile(args.mobile);
    if (!user) throw oldRefusal(60121, NOT_FOUND, "user", true);
    return {
      errcode: 0,
      errmsg: "ok",
      result: { userid: user.userId, exclusive_account_userid_list: [] },
      request_id: requestId(),
    };
  },
  "user.getByMobileLegacy": ({ args, ctx }) => {
    const user = ctx.store.findUserByMobile(args.mobile);
    if (!user) throw oldRefusal(60121, NOT_FOUND, "user");
    return { errcode: 0, errmsg: "ok", userid: user.userId };
  },
  "user.get": ({ args, ctx }) => {
    const user = ctx.store.users.get(args.userid);
    if (!user) throw oldRefusal(60121, NOT_FOUND, "user", true);
    return {
      errcode: 0,
      errmsg: "ok",
      result: {
        userid: user.userId,
        name: user.name,
        unionid: user.unionId,
        mobile: user.mobile,
        admin: user.isAdmin,
      },
      request_id: requestId(),
    };
  },
};
