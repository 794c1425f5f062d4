/**
 * The endpoint table: every app-API endpoint dingbot speaks, with its host, method, path, where the token
 * goes and the schemas of its request and answer. The client builds its calls from it and the emulator
 * registers its routes from it, so the two cannot disagree about a path or a field (design.md B5, B6).
 * @module
 */
import type { z } from "zod";
import {
  AccessTokenRequestSchema,
  AccessTokenResponseSchema,
  GetTokenRequestSchema,
  GetTokenResponseSchema,
} from "./oauth.js";
import {
  BatchOtoQueryRequestSchema,
  BatchOtoQueryResponseSchema,
  BatchRecallOtoRequestSchema,
  BatchSendOtoRequestSchema,
  BatchSendOtoResponseSchema,
  OrgGroupQueryRequestSchema,
  OrgGroupQueryResponseSchema,
  OrgGroupRecallRequestSchema,
  OrgGroupSendRequestSchema,
  OrgGroupSendResponseSchema,
  RecallResponseSchema,
} from "./robot.js";
import {
  GetUserByMobileLegacyRequestSchema,
  GetUserByMobileLegacyResponseSchema,
  GetUserByMobileRequestSchema,
  GetUserByMobileResponseSchema,
  GetUserRequestSchema,
  GetUserResponseSchema,
} from "./users.js";
import {
  AsyncSendRequestSchema,
  AsyncSendResponseSchema,
  OkResponseSchema,
  RecallWorkNotificationRequestSchema,
  SendProgressResponseSchema,
  SendResultResponseSchema,
  SendTaskRequestSchema,
} from "./work-notification.js";

/** One endpoint. */
export interface EndpointSpec {
  /** `oapi` = oapi.dingtalk.com (old API, errcode bodies); `api` = api.dingtalk.com (new API, HTTP errors). */
  host: "oapi" | "api";
  method: "GET" | "POST";
  path: string;
  /** Where the access token goes: none, the `access_token` query (old) or the `x-acs-dingtalk-access-token` header (new). */
  auth: "none" | "query" | "header";
  /** Where the request parameters go. */
  params: "query" | "body";
  request: z.ZodType;
  response: z.ZodType;
  /** One line for docs and `--help`. */
  summary: string;
}

const topPost = (path: string) =>
  ({ host: "oapi", method: "POST", path, auth: "query", params: "body" }) as const;
const robotPost = (path: string) =>
  ({ host: "api", method: "POST", path, auth: "header", params: "body" }) as const;

/** Every app-API endpoint, by name. */
export const ENDPOINTS = {
  "oauth.getToken": {
    host: "oapi",
    method: "GET",
    path: "/gettoken",
    auth: "none",
    params: "query",
    request: GetTokenRequestSchema,
    response: GetTokenResponseSchema,
    summary: "old-API app access token (used as the access_token query)",
  },
  "oauth.accessToken": {
    host: "api",
    method: "POST",
    path: "/v1.0/oauth2/accessToken",
    auth: "none",
    params: "body",
    request: AccessTokenRequestSchema,
    response: AccessTokenResponseSchema,
    summary: "new-API app access token (used as the x-acs-dingtalk-access-token header)",
  },
  "user.getByMobile": {
    ...topPost("/topapi/v2/user/getbymobile"),
    request: GetUserByMobileRequestSchema,
    response: GetUserByMobileResponseSchema,
    summary: "find a person's userid by mobile number",
  },
  "user.getByMobileLegacy": {
    host: "oapi",
    method: "GET",
    path: "/user/get_by_mobile",
    auth: "query",
    params: "query",
    request: GetUserByMobileLegacyRequestSchema,
    response: GetUserByMobileLegacyResponseSchema,
    summary: "find a person's userid by mobile number (legacy API)",
  },
  "user.get": {
    ...topPost("/topapi/v2/user/get"),
    request: GetUserRequestSchema,
    response: GetUserResponseSchema,
    summary: "a person's details by userid",
  },
  "workNotification.send": {
    ...topPost("/topapi/message/corpconversation/asyncsend_v2"),
    request: AsyncSendRequestSchema,
    response: AsyncSendResponseSchema,
    summary: "send a work notification (asynchronous; returns a task_id)",
  },
  "workNotification.getProgress": {
    ...topPost("/topapi/message/corpconversation/getsendprogress"),
    request: SendTaskRequestSchema,
    response: SendProgressResponseSchema,
    summary: "progress of a work-notification task",
  },
  "workNotification.getResult": {
    ...topPost("/topapi/message/corpconversation/getsendresult"),
    request: SendTaskRequestSchema,
    response: SendResultResponseSchema,
    summary: "each recipient's outcome of a work-notification task",
  },
  "workNotification.recall": {
    ...topPost("/topapi/message/corpconversation/recall"),
    request: RecallWorkNotificationRequestSchema,
    response: OkResponseSchema,
    summary: "recall a work notification (within 24 h)",
  },
  "robot.batchSendOto": {
    ...robotPost("/v1.0/robot/oToMessages/batchSend"),
    request: BatchSendOtoRequestSchema,
    response: BatchSendOtoResponseSchema,
    summary: "robot message to up to 20 people, 1:1",
  },
  "robot.batchOtoQuery": {
    host: "api",
    method: "GET",
    path: "/v1.0/robot/oToMessages/readStatus",
    auth: "header",
    params: "query",
    request: BatchOtoQueryRequestSchema,
    response: BatchOtoQueryResponseSchema,
    summary: "read status of a 1:1 robot message",
  },
  "robot.batchRecallOto": {
    ...robotPost("/v1.0/robot/otoMessages/batchRecall"),
    request: BatchRecallOtoRequestSchema,
    response: RecallResponseSchema,
    summary: "recall 1:1 robot messages (within 24 h)",
  },
  "robot.orgGroupSend": {
    ...robotPost("/v1.0/robot/groupMessages/send"),
    request: OrgGroupSendRequestSchema,
    response: OrgGroupSendResponseSchema,
    summary: "robot message to a group",
  },
  "robot.orgGroupQuery": {
    ...robotPost("/v1.0/robot/groupMessages/query"),
    request: OrgGroupQueryRequestSchema,
    response: OrgGroupQueryResponseSchema,
    summary: "who in the group read a robot message",
  },
  "robot.orgGroupRecall": {
    ...robotPost("/v1.0/robot/groupMessages/recall"),
    request: OrgGroupRecallRequestSchema,
    response: RecallResponseSchema,
    summary: "recall group robot messages",
  },
} as const satisfies Record<string, EndpointSpec>;

/** The name of an endpoint, e.g. `"workNotification.send"`. */
export type EndpointName = keyof typeof ENDPOINTS;
/** What a caller passes to an endpoint (after the schema's normalisation: numbers are numbers). */
export type EndpointRequest<K extends EndpointName> = z.infer<(typeof ENDPOINTS)[K]["request"]>;
/** What an endpoint answers on success. */
export type EndpointResponse<K extends EndpointName> = z.infer<(typeof ENDPOINTS)[K]["response"]>;
/** What an implementation of an endpoint (the emulator) produces: the answer before defaults are applied. */
export type EndpointAnswer<K extends EndpointName> = z.input<(typeof ENDPOINTS)[K]["response"]>;
/** Every endpoint name, in table order. */
export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as EndpointName[];
