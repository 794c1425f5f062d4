/**
 * Work notifications (工作通知, protocol sections 5.3 and 5.4): `asyncsend_v2`, progress, result, recall.
 * The `msg` object keeps DingTalk's mixed spelling: `link` is camelCase inside a snake_case API.
 * @module
 */
import { z } from "zod";
import { topBool, topInt, topStructured } from "./top-params.js";

const nonEmpty = z.string().min(1);

/** `msgtype: "text"`. */
export const WorkTextMsgSchema = z.strictObject({
  msgtype: z.literal("text"),
  text: z.strictObject({ content: nonEmpty }),
});
/** `msgtype: "image"` (a media_id from `/media/upload`). */
export const WorkImageMsgSchema = z.strictObject({
  msgtype: z.literal("image"),
  image: z.strictObject({ media_id: nonEmpty }),
});
/** `msgtype: "voice"`: AMR ≤ 60 s; `duration` in seconds, as a string. */
export const WorkVoiceMsgSchema = z.strictObject({
  msgtype: z.literal("voice"),
  voice: z.strictObject({ media_id: nonEmpty, duration: z.string().regex(/^\d+$/) }),
});
/** `msgtype: "file"`. */
export const WorkFileMsgSchema = z.strictObject({
  msgtype: z.literal("file"),
  file: z.strictObject({ media_id: nonEmpty }),
});
/** `msgtype: "link"` (camelCase field names, as DingTalk spells them). */
export const WorkLinkMsgSchema = z.strictObject({
  msgtype: z.literal("link"),
  link: z.strictObject({ messageUrl: nonEmpty, picUrl: z.string(), title: nonEmpty, text: nonEmpty }),
});
/** `msgtype: "markdown"`. */
export const WorkMarkdownMsgSchema = z.strictObject({
  msgtype: z.literal("markdown"),
  markdown: z.strictObject({ title: nonEmpty, text: nonEmpty }),
});
/** One button of a work-notification action card. */
export const WorkActionCardButtonSchema = z.strictObject({ title: nonEmpty, action_url: nonEmpty });
/** `msgtype: "action_card"`: a whole-card link (`single_title` + `single_url`) or buttons (`btn_json_list`). */
export const WorkActionCardMsgSchema = z.strictObject({
  msgtype: z.literal("action_card"),
  action_card: z
    .strictObject({
      title: nonEmpty,
      markdown: nonEmpty,
      single_title: nonEmpty.optional(),
      single_url: nonEmpty.optional(),
      btn_orientation: z.enum(["0", "1"]).optional(),
      btn_json_list: z.array(WorkActionCardButtonSchema).min(1).optional(),
    })
    .refine((card) => (card.single_title && card.single_url) || card.btn_json_list, {
      message: "an action_card needs single_title and single_url, or btn_json_list",
    }),
});
/** `msgtype: "oa"`: the form-like card of approval flows. */
export const WorkOaMsgSchema = z.strictObject({
  msgtype: z.literal("oa"),
  oa: z.strictObject({
    message_url: nonEmpty,
    pc_message_url: z.string().optional(),
    head: z.strictObject({ bgcolor: z.string().regex(/^[0-9A-Fa-f]{8}$/), text: z.string().optional() }),
    status_bar: z.strictObject({ status_value: z.string(), status_bg: z.string() }).optional(),
    body: z.strictObject({
      title: z.string().optional(),
      form: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
      rich: z.strictObject({ num: z.string(), unit: z.string().optional() }).optional(),
      content: z.string().optional(),
      image: z.string().optional(),
      file_count: z.string().optional(),
      author: z.string().optional(),
    }),
  }),
});

/** Any work-notification `msg`. */
export const WorkMsgSchema = z.discriminatedUnion("msgtype", [
  WorkTextMsgSchema,
  WorkImageMsgSchema,
  WorkVoiceMsgSchema,
  WorkFileMsgSchema,
  WorkLinkMsgSchema,
  WorkMarkdownMsgSchema,
  WorkActionCardMsgSchema,
  WorkOaMsgSchema,
]);
/** Any work-notification `msg`. */
export type WorkMsg = z.infer<typeof WorkMsgSchema>;
/** The `msgtype` values of work notifications. */
export type WorkMsgtype = WorkMsg["msgtype"];

/** Most userids per `asyncsend_v2` call (internal apps). */
export const WORK_NOTIFICATION_MAX_USERS = 5000;
/** Most department ids per `asyncsend_v2` call. */
export const WORK_NOTIFICATION_MAX_DEPTS = 500;
/** How long after sending a work notification can still be recalled, in ms. */
export const WORK_NOTIFICATION_RECALL_WINDOW_MS = 24 * 3600_000;

/** Body of `POST /topapi/message/corpconversation/asyncsend_v2` (JSON or form-encoded). */
export const AsyncSendRequestSchema = z.strictObject({
  agent_id: topInt(),
  userid_list: z.string().optional(),
  dept_id_list: z.string().optional(),
  to_all_user: topBool().optional(),
  msg: topStructured(WorkMsgSchema),
});
/** Success body of `asyncsend_v2`. */
export const AsyncSendResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  task_id: z.number().int(),
  request_id: z.string().optional(),
});

/** Body of `getsendprogress` and `getsendresult`. */
export const SendTaskRequestSchema = z.strictObject({ agent_id: topInt(), task_id: topInt() });
/** `progress.status`: 0 not started, 1 processing, 2 done. */
export const SEND_PROGRESS_STATUS = { NOT_STARTED: 0, PROCESSING: 1, DONE: 2 } as const;
/** Success body of `getsendprogress`. */
export const SendProgressResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  progress: z.looseObject({
    progress_in_percent: z.number().int(),
    status: z.number().int(),
  }),
  request_id: z.string().optional(),
});
/** One entry of `forbidden_list`: why a recipient was not sent the message. */
export const ForbiddenEntrySchema = z.looseObject({
  code: z.string(),
  count: z.number().int(),
  userid: z.string(),
});
/** Success body of `getsendresult`. */
export const SendResultResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  send_result: z.looseObject({
    invalid_user_id_list: z.array(z.string()).default([]),
    forbidden_user_id_list: z.array(z.string()).default([]),
    failed_user_id_list: z.array(z.string()).default([]),
    read_user_id_list: z.array(z.string()).default([]),
    unread_user_id_list: z.array(z.string()).default([]),
    // Department ids are numbers (the official TopSdk declares List<Long>); a numeric string is read as
    // its number so an answer in either form gives the caller numbers.
    invalid_dept_id_list: z
      .array(z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]))
      .default([]),
    forbidden_list: z.array(ForbiddenEntrySchema).default([]),
  }),
  request_id: z.string().optional(),
});

/**
 * `forbidden_list[].code` values (one mirror of the official page; UNCERTAIN):
 * why DingTalk accepted the call but did not deliver to that person.
 */
export const FORBIDDEN_CODES: Readonly<Record<string, string>> = {
  "143103": "the app sent to too many people this minute",
  "143104": "the organisation sent to too many people this minute",
  "143105": "the person's daily quota of messages from this app is used up",
  "143106": "the same content was already sent to this person today",
  "1430000": "no recipients",
  "1430002": "the content was refused",
  "1430003": "OAPI protection",
  "1430004": "executive protection",
};

/** Body of `POST /topapi/message/corpconversation/recall`. */
export const RecallWorkNotificationRequestSchema = z.strictObject({
  agent_id: topInt(),
  msg_task_id: topInt(),
});
/** Success body of an old-API call that returns nothing else. */
export const OkResponseSchema = z.looseObject({
  errcode: z.literal(0),
  errmsg: z.string(),
  request_id: z.string().optional(),
});

/** Body of `asyncsend_v2`. */
export type AsyncSendRequest = z.infer<typeof AsyncSendRequestSchema>;
/** Answer of `asyncsend_v2`. */
export type AsyncSendResponse = z.infer<typeof AsyncSendResponseSchema>;
/** Body of `getsendprogress` / `getsendresult`. */
export type SendTaskRequest = z.infer<typeof SendTaskRequestSchema>;
/** Answer of `getsendprogress`. */
export type SendProgressResponse = z.infer<typeof SendProgressResponseSchema>;
/** Answer of `getsendresult`. */
export type SendResultResponse = z.infer<typeof SendResultResponseSchema>;
/** One `forbidden_list` entry. */
export type ForbiddenEntry = z.infer<typeof ForbiddenEntrySchema>;
/** Body of work-notification `recall`. */
export type RecallWorkNotificationRequest = z.infer<typeof RecallWorkNotificationRequestSchema>;
/** `{errcode: 0, errmsg}`. */
export type OkResponse = z.infer<typeof OkResponseSchema>;
