/**
 * Interactive cards (card_1_0 on api.dingtalk.com, protocol section 6): create, deliver, update and stream
 * card instances, register an HTTP callback, the official AI card template, open space ids, and the card
 * callback DingTalk sends when someone presses a button on a card.
 *
 * The card endpoints are kept in their own table, {@link CARD_ENDPOINTS}, rather than in the main
 * `ENDPOINTS`: two of the calls are `PUT`s, which `EndpointSpec` does not name. The emulator's card routes
 * are typed over this table, so they must implement every entry of it.
 *
 * Field names follow the generated official SDK (aliyun/dingtalk-sdk `card_1_0/client.ts`), the official
 * Python Stream SDK (`card_replier.py`, `card_instance.py`, `card_callback.py`) and the Go Stream SDK
 * (`card/model.go`).
 * @module
 */
import { z } from "zod";
import { type CheckResult, check } from "../validate.js";

/** The official AI card template (流式 AI 卡片), shared by every organisation. */
export const AI_CARD_TEMPLATE_ID = "382e4302-551d-4880-bf29-a30acfab2e71.schema";

/** The variables of the AI card template that dingbot fills. */
export const AI_CARD_KEYS = {
  /** The card's title. */
  title: "msgTitle",
  /** The streamed markdown. */
  content: "msgContent",
  /** The card's state, one of {@link AI_CARD_FLOW_STATUS} (a string on the wire). */
  flowStatus: "flowStatus",
} as const;

/** `flowStatus` values of the AI card template: what the card shows around the content. */
export const AI_CARD_FLOW_STATUS = {
  /** 处理中: a spinner, nothing written yet. */
  processing: "1",
  /** 输入中: the answer is being written. */
  inputting: "2",
  /** 执行完成: done. */
  finished: "3",
  /** 执行中 (shown by tools the assistant runs). */
  executing: "4",
  /** 执行失败: the answer broke off. */
  failed: "5",
} as const;

/** One of the {@link AI_CARD_FLOW_STATUS} values. */
export type AiCardFlowStatus = (typeof AI_CARD_FLOW_STATUS)[keyof typeof AI_CARD_FLOW_STATUS];

/** Stream topic on which card callbacks arrive (subscribe with type `CALLBACK`). */
export const CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback";

/** The kind of a card's open space. */
export type CardSpaceType = "IM_GROUP" | "IM_ROBOT";

/** Prefix of every open space id. */
export const OPEN_SPACE_ID_PREFIX = "dtv1.card//";

/**
 * The open space id of a group: `dtv1.card//IM_GROUP.<openConversationId>`.
 * @param openConversationId - the group's id (a message's `conversationId`)
 */
export function groupOpenSpaceId(openConversationId: string): string {
  return `${OPEN_SPACE_ID_PREFIX}IM_GROUP.${openConversationId}`;
}

/**
 * The open space id of a person's 1:1 chat with the robot: `dtv1.card//IM_ROBOT.<userId>` (the userId, as
 * the official Python SDK does; one third-party plugin uses the conversationId, which is UNCERTAIN).
 * @param userId - the person's staff userId
 */
export function robotOpenSpaceId(userId: string): string {
  return `${OPEN_SPACE_ID_PREFIX}IM_ROBOT.${userId}`;
}

/** `cardParamMap`: the template's variables, every value a string on the wire. */
export const CardParamMapSchema = z.record(z.string(), z.string());
/** `cardData`. */
export const CardDataSchema = z.looseObject({ cardParamMap: CardParamMapSchema });
/** `privateData`: per-userId data only that person sees. */
export const CardPrivateDataSchema = z.record(
  z.string(),
  z.looseObject({ cardParamMap: CardParamMapSchema }),
);
/** `cardUpdateOptions`: merge by key (true) or replace the whole map (false, DingTalk's default). */
export const CardUpdateOptionsSchema = z.looseObject({
  updateCardDataByKey: z.boolean().optional(),
  updatePrivateDataByKey: z.boolean().optional(),
});

/** `imGroupOpenSpaceModel` / `imRobotOpenSpaceModel`: how the card shows in the chat. */
export const ImOpenSpaceModelSchema = z.looseObject({
  supportForward: z.boolean().optional(),
  lastMessageI18n: z.record(z.string(), z.string()).optional(),
});
/**
 * `imGroupOpenDeliverModel`. `robotCode` picks the robot that posts the card: leave it out and an app with
 * several robots may post from the wrong one. `atUserIds` maps userId → display name (`{"@ALL":"@ALL"}`
 * mentions everyone); `recipients` limits who sees the card.
 */
export const ImGroupOpenDeliverModelSchema = z.looseObject({
  robotCode: z.string(),
  atUserIds: z.record(z.string(), z.string()).optional(),
  recipients: z.array(z.string()).optional(),
  extension: z.record(z.string(), z.string()).optional(),
});
/** `imRobotOpenDeliverModel`: a 1:1 chat with the robot. */
export const ImRobotOpenDeliverModelSchema = z.looseObject({
  spaceType: z.literal("IM_ROBOT"),
  robotCode: z.string().optional(),
  extension: z.record(z.string(), z.string()).optional(),
});

/** Where card callbacks go: the Stream connection, or a URL registered with `callbacks/register`. */
export const CardCallbackTypeSchema = z.enum(["STREAM", "HTTP"]);

const createFields = {
  cardTemplateId: z.string().min(1),
  outTrackId: z.string().min(1),
  cardData: CardDataSchema,
  privateData: CardPrivateDataSchema.optional(),
  callbackType: CardCallbackTypeSchema.optional(),
  callbackRouteKey: z.string().optional(),
  imGroupOpenSpaceModel: ImOpenSpaceModelSchema.optional(),
  imRobotOpenSpaceModel: ImOpenSpaceModelSchema.optional(),
  userIdType: z.number().int().optional(),
};
const deliverFields = {
  outTrackId: z.string().min(1),
  openSpaceId: z.string().startsWith(OPEN_SPACE_ID_PREFIX),
  imGroupOpenDeliverModel: ImGroupOpenDeliverModelSchema.optional(),
  imRobotOpenDeliverModel: ImRobotOpenDeliverModelSchema.optional(),
  userIdType: z.number().int().optional(),
};

/** Body of `POST /v1.0/card/instances` (create a card instance, not yet shown anywhere). */
export const CreateCardRequestSchema = z.strictObject(createFields);
/** Answer of `POST /v1.0/card/instances`. */
export const CreateCardResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  result: z.string().optional(),
});

/** Body of `POST /v1.0/card/instances/deliver` (show a created card in open spaces). */
export const DeliverCardRequestSchema = z.strictObject(deliverFields);
/** One space's outcome of a delivery: `success: false` comes inside an HTTP 200. */
export const CardDeliverResultSchema = z.looseObject({
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  success: z.boolean().optional(),
  errorMsg: z.string().optional(),
  carrierId: z.string().optional(),
});
/** Answer of `POST /v1.0/card/instances/deliver`. */
export const DeliverCardResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  result: z.array(CardDeliverResultSchema).default([]),
});

/** Body of `POST /v1.0/card/instances/createAndDeliver` (both in one call). */
export const CreateAndDeliverCardRequestSchema = z.strictObject({ ...createFields, ...deliverFields });
/** Answer of `POST /v1.0/card/instances/createAndDeliver`. */
export const CreateAndDeliverCardResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  result: z
    .looseObject({
      outTrackId: z.string().optional(),
      deliverResults: z.array(CardDeliverResultSchema).default([]),
    })
    .optional(),
});

/** Body of `PUT /v1.0/card/instances` (new data for a delivered card). */
export const UpdateCardRequestSchema = z.strictObject({
  outTrackId: z.string().min(1),
  cardData: CardDataSchema.optional(),
  privateData: CardPrivateDataSchema.optional(),
  cardUpdateOptions: CardUpdateOptionsSchema.optional(),
  userIdType: z.number().int().optional(),
});
/** Answer of `PUT /v1.0/card/instances` and `PUT /v1.0/card/streaming`. */
export const CardOkResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  result: z.boolean().optional(),
});

/**
 * Body of `PUT /v1.0/card/streaming`: new content for one streamed variable of a card. `guid` is a fresh
 * id per call; `isFull` replaces the content (dingbot always sends the full text, so a lost call costs
 * nothing); `isFinalize` marks the last one.
 */
export const StreamingUpdateRequestSchema = z.strictObject({
  outTrackId: z.string().min(1),
  guid: z.string().min(1),
  key: z.string().min(1),
  content: z.string(),
  isFull: z.boolean(),
  isFinalize: z.boolean(),
  isError: z.boolean(),
});

/** Body of `POST /v1.0/card/callbacks/register` (where HTTP-mode card callbacks go). */
export const RegisterCardCallbackRequestSchema = z.strictObject({
  callbackRouteKey: z.string().min(1),
  callbackUrl: z.string().url(),
  apiSecret: z.string().optional(),
  forceUpdate: z.boolean().optional(),
});
/** Answer of `POST /v1.0/card/callbacks/register`. */
export const RegisterCardCallbackResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  result: z.looseObject({ apiSecret: z.string().optional(), callbackUrl: z.string().optional() }).optional(),
});

/** One card endpoint: always api.dingtalk.com, the header token and a JSON body. */
export interface CardEndpointSpec {
  host: "api";
  method: "POST" | "PUT";
  path: string;
  auth: "header";
  params: "body";
  request: z.ZodType;
  response: z.ZodType;
  /** One line for docs and `--help`. */
  summary: string;
}

const cardCall = (method: "POST" | "PUT", path: string) =>
  ({ host: "api", method, path, auth: "header", params: "body" }) as const;

/** Every card endpoint, by name (see the module comment for why this is not part of `ENDPOINTS`). */
export const CARD_ENDPOINTS = {
  "card.create": {
    ...cardCall("POST", "/v1.0/card/instances"),
    request: CreateCardRequestSchema,
    response: CreateCardResponseSchema,
    summary: "create a card instance",
  },
  "card.deliver": {
    ...cardCall("POST", "/v1.0/card/instances/deliver"),
    request: DeliverCardRequestSchema,
    response: DeliverCardResponseSchema,
    summary: "show a card instance in groups or 1:1 chats",
  },
  "card.createAndDeliver": {
    ...cardCall("POST", "/v1.0/card/instances/createAndDeliver"),
    request: CreateAndDeliverCardRequestSchema,
    response: CreateAndDeliverCardResponseSchema,
    summary: "create a card instance and show it, in one call",
  },
  "card.update": {
    ...cardCall("PUT", "/v1.0/card/instances"),
    request: UpdateCardRequestSchema,
    response: CardOkResponseSchema,
    summary: "change a card's data",
  },
  "card.streaming": {
    ...cardCall("PUT", "/v1.0/card/streaming"),
    request: StreamingUpdateRequestSchema,
    response: CardOkResponseSchema,
    summary: "stream content into one variable of a card (the AI card's msgContent)",
  },
  "card.registerCallback": {
    ...cardCall("POST", "/v1.0/card/callbacks/register"),
    request: RegisterCardCallbackRequestSchema,
    response: RegisterCardCallbackResponseSchema,
    summary: "register the URL of HTTP-mode card callbacks",
  },
} as const satisfies Record<string, CardEndpointSpec>;

/** The name of a card endpoint, e.g. `"card.streaming"`. */
export type CardEndpointName = keyof typeof CARD_ENDPOINTS;
/** What a caller passes to a card endpoint. */
export type CardEndpointRequest<K extends CardEndpointName> = z.infer<(typeof CARD_ENDPOINTS)[K]["request"]>;
/** What a card endpoint answers on success. */
export type CardEndpointResponse<K extends CardEndpointName> = z.infer<
  (typeof CARD_ENDPOINTS)[K]["response"]
>;
/** Every card endpoint name, in table order. */
export const CARD_ENDPOINT_NAMES = Object.keys(CARD_ENDPOINTS) as CardEndpointName[];

/** `cardParamMap`. */
export type CardParamMap = z.infer<typeof CardParamMapSchema>;
/** `privateData`. */
export type CardPrivateData = z.infer<typeof CardPrivateDataSchema>;
/** `cardUpdateOptions`. */
export type CardUpdateOptions = z.infer<typeof CardUpdateOptionsSchema>;
/** One space's outcome of a delivery. */
export type CardDeliverResult = z.infer<typeof CardDeliverResultSchema>;
/** Body of `card/instances`. */
export type CreateCardRequest = z.infer<typeof CreateCardRequestSchema>;
/** Body of `card/instances/deliver`. */
export type DeliverCardRequest = z.infer<typeof DeliverCardRequestSchema>;
/** Body of `card/instances/createAndDeliver`. */
export type CreateAndDeliverCardRequest = z.infer<typeof CreateAndDeliverCardRequestSchema>;
/** Body of `PUT card/instances`. */
export type UpdateCardRequest = z.infer<typeof UpdateCardRequestSchema>;
/** Body of `PUT card/streaming`. */
export type StreamingUpdateRequest = z.infer<typeof StreamingUpdateRequestSchema>;
/** Body of `card/callbacks/register`. */
export type RegisterCardCallbackRequest = z.infer<typeof RegisterCardCallbackRequestSchema>;

// ---------------------------------------------------------------------------------------------------------
// Card callbacks (inbound)

/**
 * What DingTalk sends when someone acts on a card (Stream topic {@link CARD_CALLBACK_TOPIC}, the frame's
 * `data` parsed; the HTTP mode posts the same body). `content` and `extension` are JSON *strings*.
 * Fields from the Go SDK's `CardRequest` and the Python SDK's `CardCallbackMessage`.
 */
export const CardCallbackSchema = z.looseObject({
  outTrackId: z.string().min(1),
  userId: z.string(),
  content: z.string(),
  corpId: z.string().optional(),
  type: z.string().optional(),
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  userIdType: z.number().optional(),
  extension: z.string().optional(),
});
/** The callback's `content`, once parsed: which buttons (actionIds) were pressed, with their parameters. */
export const CardCallbackContentSchema = z.looseObject({
  cardPrivateData: z
    .looseObject({
      actionIds: z.array(z.string()).default([]),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .default({ actionIds: [], params: {} }),
});
/**
 * What a callback's answer may hold: new public data, new data for the person who acted, and how to merge.
 * The Go SDK sends the person's data as `userPrivateData`, the Python example as `privateData` keyed by
 * userId (UNCERTAIN which DingTalk reads; dingbot sends both).
 */
export const CardCallbackResponseSchema = z.looseObject({
  cardData: CardDataSchema.optional(),
  privateData: CardPrivateDataSchema.optional(),
  userPrivateData: z.looseObject({ cardParamMap: CardParamMapSchema }).optional(),
  cardUpdateOptions: CardUpdateOptionsSchema.optional(),
});

/** A card callback, as DingTalk sends it. */
export type CardCallback = z.infer<typeof CardCallbackSchema>;
/** A card callback's parsed `content`. */
export type CardCallbackContent = z.infer<typeof CardCallbackContentSchema>;
/** The answer to a card callback (the Stream ACK's `data` is `JSON.stringify({response: this})`). */
export type CardCallbackResponse = z.infer<typeof CardCallbackResponseSchema>;

/** A card callback with its `content` parsed: what a handler of `bot.action` works with. */
export interface ParsedCardCallback {
  /** The callback as DingTalk sent it. */
  raw: CardCallback;
  /** The card's id, chosen by whoever created it. */
  outTrackId: string;
  /** Who acted. */
  userId: string;
  /** `IM_GROUP`, `IM_ROBOT`… when DingTalk says. */
  spaceType: string | undefined;
  /** The group's openConversationId or the 1:1 chat's id, when DingTalk says. */
  spaceId: string | undefined;
  /** The actions (buttons) that fired. */
  actionIds: string[];
  /** The parameters the card sent with them (form values, the button's own params). */
  params: Record<string, unknown>;
}

/**
 * Checks a card callback and parses its JSON-string `content`. Accepts the body as an object or as the JSON
 * text of one (a Stream frame's `data`). Never throws: a malformed body or `content` comes back as issues.
 * @param body - what DingTalk sent
 */
export function parseCardCallback(body: unknown): CheckResult<ParsedCardCallback> {
  let value = body;
  if (typeof value === "string") {
    const parsed = parseJson(value);
    if (!parsed.ok) return invalid("(root)", "the card callback is not JSON");
    value = parsed.value;
  }
  const outer = check(CardCallbackSchema, value);
  if (!outer.ok) return outer;
  // An empty content is what a card without private data sends; treat it as "no actions", not an error.
  const text = outer.value.content.trim();
  const json = text === "" ? { ok: true as const, value: {} } : parseJson(text);
  if (!json.ok) return invalid("content", "the card callback's content is not a JSON string");
  const content = check(CardCallbackContentSchema, json.value);
  if (!content.ok) {
    return { ok: false, issues: content.issues.map((i) => ({ ...i, path: `content.${i.path}` })) };
  }
  const { actionIds, params } = content.value.cardPrivateData;
  return {
    ok: true,
    value: {
      raw: outer.value,
      outTrackId: outer.value.outTrackId,
      userId: outer.value.userId,
      spaceType: outer.value.spaceType,
      spaceId: outer.value.spaceId,
      actionIds,
      params,
    },
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function invalid(
  path: string,
  message: string,
): { ok: false; issues: [{ code: "schema"; path: string; message: string }] } {
  return { ok: false, issues: [{ code: "schema", path, message }] };
}
