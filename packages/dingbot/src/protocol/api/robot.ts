/**
 * The robot OpenAPI (protocol section 4.2): 1:1 and group sends, read status and recall, on api.dingtalk.com.
 * @module
 */
import { z } from "zod";

/** Most userIds per 1:1 batch send, and most processQueryKeys per recall. */
export const ROBOT_BATCH_MAX = 20;
/** Largest msgParam, in bytes (documented for group sends; the emulator applies it to 1:1 too). */
export const ROBOT_MSG_PARAM_MAX_BYTES = 15_000;
/** Most results per group read-status page. */
export const ROBOT_GROUP_QUERY_MAX_RESULTS = 200;
/** How long a robot message can be recalled, in ms. */
export const ROBOT_RECALL_WINDOW_MS = 24 * 3600_000;

/** Body of `POST /v1.0/robot/oToMessages/batchSend`. */
export const BatchSendOtoRequestSchema = z.strictObject({
  robotCode: z.string(),
  userIds: z.array(z.string()),
  msgKey: z.string(),
  msgParam: z.string(),
});
/** Answer of `batchSend`. */
export const BatchSendOtoResponseSchema = z.looseObject({
  processQueryKey: z.string(),
  invalidStaffIdList: z.array(z.string()).default([]),
  flowControlledStaffIdList: z.array(z.string()).default([]),
});

/** Body of `POST /v1.0/robot/groupMessages/send`. */
export const OrgGroupSendRequestSchema = z.strictObject({
  robotCode: z.string(),
  openConversationId: z.string(),
  msgKey: z.string(),
  msgParam: z.string(),
  coolAppCode: z.string().optional(),
  token: z.string().optional(),
});
/** Answer of `groupMessages/send`. */
export const OrgGroupSendResponseSchema = z.looseObject({ processQueryKey: z.string() });

/** Query of `GET /v1.0/robot/oToMessages/readStatus`. */
export const BatchOtoQueryRequestSchema = z.strictObject({
  robotCode: z.string(),
  processQueryKey: z.string(),
});
/** One recipient's read state. */
export const MessageReadInfoSchema = z.looseObject({
  name: z.string(),
  userId: z.string(),
  readStatus: z.string(),
  readTimestamp: z.number(),
});
/** Answer of `readStatus`. */
export const BatchOtoQueryResponseSchema = z.looseObject({
  sendStatus: z.string(),
  messageReadInfoList: z.array(MessageReadInfoSchema).default([]),
});

/** Body of `POST /v1.0/robot/groupMessages/query`. */
export const OrgGroupQueryRequestSchema = z.strictObject({
  robotCode: z.string(),
  openConversationId: z.string(),
  processQueryKey: z.string(),
  maxResults: z.number().int().optional(),
  nextToken: z.string().optional(),
  token: z.string().optional(),
});
/** Answer of `groupMessages/query`. */
export const OrgGroupQueryResponseSchema = z.looseObject({
  sendStatus: z.string(),
  readUserIds: z.array(z.string()).default([]),
  hasMore: z.boolean().optional(),
  nextToken: z.string().optional(),
});

/** Body of `POST /v1.0/robot/otoMessages/batchRecall` (lower-case `oto`). */
export const BatchRecallOtoRequestSchema = z.strictObject({
  robotCode: z.string(),
  processQueryKeys: z.array(z.string()),
});
/** Body of `POST /v1.0/robot/groupMessages/recall`. */
export const OrgGroupRecallRequestSchema = z.strictObject({
  robotCode: z.string(),
  openConversationId: z.string(),
  processQueryKeys: z.array(z.string()),
});
/** Answer of both recalls. */
export const RecallResponseSchema = z.looseObject({
  successResult: z.array(z.string()).default([]),
  failedResult: z.record(z.string(), z.string()).default({}),
});

/** Body of `oToMessages/batchSend`. */
export type BatchSendOtoRequest = z.infer<typeof BatchSendOtoRequestSchema>;
/** Answer of `oToMessages/batchSend`. */
export type BatchSendOtoResponse = z.infer<typeof BatchSendOtoResponseSchema>;
/** Body of `groupMessages/send`. */
export type OrgGroupSendRequest = z.infer<typeof OrgGroupSendRequestSchema>;
/** Answer of `groupMessages/send`. */
export type OrgGroupSendResponse = z.infer<typeof OrgGroupSendResponseSchema>;
/** Query of `oToMessages/readStatus`. */
export type BatchOtoQueryRequest = z.infer<typeof BatchOtoQueryRequestSchema>;
/** Answer of `oToMessages/readStatus`. */
export type BatchOtoQueryResponse = z.infer<typeof BatchOtoQueryResponseSchema>;
/** One recipient's read state. */
export type MessageReadInfo = z.infer<typeof MessageReadInfoSchema>;
/** Body of `groupMessages/query`. */
export type OrgGroupQueryRequest = z.infer<typeof OrgGroupQueryRequestSchema>;
/** Answer of `groupMessages/query`. */
export type OrgGroupQueryResponse = z.infer<typeof OrgGroupQueryResponseSchema>;
/** Body of `otoMessages/batchRecall`. */
export type BatchRecallOtoRequest = z.infer<typeof BatchRecallOtoRequestSchema>;
/** Body of `groupMessages/recall`. */
export type OrgGroupRecallRequest = z.infer<typeof OrgGroupRecallRequestSchema>;
/** Answer of the recalls. */
export type RecallResponse = z.infer<typeof RecallResponseSchema>;
