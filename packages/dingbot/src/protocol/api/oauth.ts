/**
 * App access tokens (protocol sections 4.1 and 5.1): old `GET /gettoken` and new `POST /v1.0/oauth2/accessToken`.
 * @module
 */
import { z } from "zod";

/** Query of `GET /gettoken`. */
export const GetTokenRequestSchema = z.strictObject({
  appkey: z.string().min(1),
  appsecret: z.string().min(1),
});
/** Success body of `GET /gettoken`. */
export const GetTokenResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

/** Body of `POST /v1.0/oauth2/accessToken` (JSON only). */
export const AccessTokenRequestSchema = z.strictObject({
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
});
/** Success body of `POST /v1.0/oauth2/accessToken`. */
export const AccessTokenResponseSchema = z.looseObject({
  accessToken: z.string().min(1),
  expireIn: z.number().int().positive(),
});

/** Query of `GET /gettoken`. */
export type GetTokenRequest = z.infer<typeof GetTokenRequestSchema>;
/** Answer of `GET /gettoken`. */
export type GetTokenResponse = z.infer<typeof GetTokenResponseSchema>;
/** Body of `POST /v1.0/oauth2/accessToken`. */
export type AccessTokenRequest = z.infer<typeof AccessTokenRequestSchema>;
/** Answer of `POST /v1.0/oauth2/accessToken`. */
export type AccessTokenResponse = z.infer<typeof AccessTokenResponseSchema>;
