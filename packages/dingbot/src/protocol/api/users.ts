/**
 * User lookup (protocol section 5.2): by mobile (topapi v2 and the legacy `user/get_by_mobile`) and by userid.
 * @module
 */
import { z } from "zod";
import { topBool } from "./top-params.js";

/** Body of `POST /topapi/v2/user/getbymobile`. */
export const GetUserByMobileRequestSchema = z.strictObject({
  mobile: z.string().min(1),
  support_exclusive_account_search: topBool().optional(),
});
/** Success body of `POST /topapi/v2/user/getbymobile`. */
export const GetUserByMobileResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  result: z.looseObject({
    userid: z.string(),
    exclusive_account_userid_list: z.array(z.string()).optional(),
  }),
  request_id: z.string().optional(),
});

/** Query of the legacy `GET /user/get_by_mobile` (besides `access_token`). */
export const GetUserByMobileLegacyRequestSchema = z.strictObject({ mobile: z.string().min(1) });
/** Success body of the legacy `GET /user/get_by_mobile`: the userid is at the top level. */
export const GetUserByMobileLegacyResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  userid: z.string(),
});

/** Body of `POST /topapi/v2/user/get`. */
export const GetUserRequestSchema = z.strictObject({
  userid: z.string().min(1),
  language: z.string().optional(),
});
/** Success body of `POST /topapi/v2/user/get` (the fields dingbot reads; DingTalk sends many more). */
export const GetUserResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  result: z.looseObject({
    userid: z.string(),
    name: z.string(),
    unionid: z.string().optional(),
    mobile: z.string().optional(),
    admin: z.boolean().optional(),
  }),
  request_id: z.string().optional(),
});

/** Body of `topapi/v2/user/getbymobile`. */
export type GetUserByMobileRequest = z.infer<typeof GetUserByMobileRequestSchema>;
/** Answer of `topapi/v2/user/getbymobile`. */
export type GetUserByMobileResponse = z.infer<typeof GetUserByMobileResponseSchema>;
/** Query of `user/get_by_mobile`. */
export type GetUserByMobileLegacyRequest = z.infer<typeof GetUserByMobileLegacyRequestSchema>;
/** Answer of `user/get_by_mobile`. */
export type GetUserByMobileLegacyResponse = z.infer<typeof GetUserByMobileLegacyResponseSchema>;
/** Body of `topapi/v2/user/get`. */
export type GetUserRequest = z.infer<typeof GetUserRequestSchema>;
/** Answer of `topapi/v2/user/get`. */
export type GetUserResponse = z.infer<typeof GetUserResponseSchema>;
