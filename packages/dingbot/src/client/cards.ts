/**
 * Interactive cards of one app (card_1_0): send a card to a group or a person, change its data, stream text
 * into one of its variables. Works inside a bot (`ctx.replyCard`) and outside one (a cron job holding an
 * {@link AppClient}): `client.cards.send(...)`.
 *
 * Card data: `cardParamMap` values are strings on the wire (DingTalk refuses a number). {@link toCardParamMap}
 * converts what a program naturally has: strings as they are, finite numbers, booleans and bigints with
 * `String()`, plain objects and arrays as JSON text (how templates take object and list variables, e.g.
 * `sys_full_json_obj`); `undefined` leaves the key out. Anything else (null, NaN, a Date, a Map, a function)
 * is refused with a ValidationError before anything is sent, rather than guessed at.
 * @module
 */
import { randomUUID } from "node:crypto";
import { ApiError, type DingTalkErrorOptions, ValidationError } from "../errors.js";
import {
  CARD_ENDPOINTS,
  type CardDeliverResult,
  type CardEndpointName,
  type CardEndpointRequest,
  type CardEndpointResponse,
  type CardParamMap,
  type CardPrivateData,
  type CreateAndDeliverCardRequest,
  groupOpenSpaceId,
  robotOpenSpaceId,
} from "../protocol/api/cards.js";
import type { SchemaIssueInput } from "../protocol/validate.js";
import type { CallOptions } from "./endpoint-caller.js";

/** Calls the card endpoints; `AppClient` is one (small interface, so no import circle and any caller fits). */
export interface CardEndpointCaller {
  /**
   * Calls a card endpoint with checked arguments and returns its answer.
   * @param name - e.g. `"card.streaming"`
   * @param args - the endpoint's body
   */
  callCard<K extends CardEndpointName>(
    name: K,
    args: CardEndpointRequest<K>,
    options?: CallOptions,
  ): Promise<CardEndpointResponse<K>>;
}

/** A value of card data before conversion (see the module comment for the rules). */
export type CardValue = string | number | boolean | bigint | readonly unknown[] | { [key: string]: unknown };
/** Card data as a program writes it: `{ title: "Deploy", count: 3, ok: true }`. */
export type CardData = Readonly<Record<string, CardValue | undefined>>;
/** Data only one person sees, by userId. */
export type CardPrivateDataInput = Readonly<Record<string, CardData>>;

/** Where a card goes: a group (by openConversationId) or a person's 1:1 chat with the robot (by userId). */
export type CardTarget = { group: string } | { user: string };

/** Options of {@link Cards.send}. */
export interface SendCardOptions {
  /** The card template's id (from the card platform, e.g. `xxx.schema`). */
  templateId: string;
  /** Public data of the card. */
  data: CardData;
  /** Data only some people see, by userId. */
  privateData?: CardPrivateDataInput;
  /** Where the card goes. */
  to: CardTarget;
  /** The card's id (default: a random UUID); keep it to update the card later. */
  outTrackId?: string;
  /** Where callbacks of the card's buttons go (default `STREAM`). */
  callbackType?: "STREAM" | "HTTP";
  /** For `HTTP` callbacks: the key registered with {@link Cards.registerCallback}. */
  callbackRouteKey?: string;
  /** Whether people may forward the card (default true). */
  supportForward?: boolean;
  /** Groups only: people to @-mention, userId → display name (`{"@ALL": "@ALL"}` for everyone). */
  atUserIds?: Readonly<Record<string, string>>;
  /** Groups only: show the card to these userIds only. */
  recipients?: readonly string[];
  /** The robot that posts (default: the client's robotCode). */
  robotCode?: string;
  signal?: AbortSignal;
}

/** Options of {@link CardHandle.update}. */
export interface UpdateCardOptions {
  /** New data only some people see, by userId. */
  privateData?: CardPrivateDataInput;
  /**
   * Merge the given keys into the card's data (default true). `false` replaces the whole map, as DingTalk
   * does when `cardUpdateOptions` is absent: every key not given is cleared.
   */
  byKey?: boolean;
  signal?: AbortSignal;
}

/** Flags of one streaming call. */
export interface StreamFlags {
  /** The last call of this stream. */
  isFinalize: boolean;
  /** The stream broke off. */
  isError: boolean;
  signal?: AbortSignal;
}

/** A delivered card: change its data, or stream text into one of its variables. */
export interface CardHandle {
  /** The card's id. */
  readonly outTrackId: string;
  /**
   * Changes the card's data (merged by key unless `byKey: false`).
   * @throws ValidationError for data that cannot be sent; ApiError and friends for DingTalk's refusals
   */
  update(data: CardData, options?: UpdateCardOptions): Promise<void>;
  /**
   * Sends the full text of one variable so far (`isFull: true`, a fresh `guid`). One raw call: to stream
   * a source with coalescing, use `ctx.replyCard(...).stream(key, source)` or `CardStreamer`.
   * @param key - the template variable, e.g. `msgContent`
   * @param content - its whole text so far
   */
  streamContent(key: string, content: string, flags: StreamFlags): Promise<void>;
}

/** Options of {@link Cards}. */
export interface CardsOptions {
  /** The robot that posts cards (for internal apps, the appKey). */
  robotCode: string;
  /** New ids for cards and streaming calls (default `crypto.randomUUID`). */
  newId?: () => string;
}

/**
 * DingTalk refused a card's delivery to one or more spaces. The call itself answered HTTP 200: each space's
 * outcome is in `deliverResults`, and this error carries the failed ones.
 */
export class CardDeliveryError extends ApiError {
  /** The spaces that refused, with DingTalk's `errorMsg`. */
  readonly failures: CardDeliverResult[];
  /** The card's id: it exists even when no space shows it. */
  readonly outTrackId: string;
  /**
   * @param endpoint - `METHOD /path`
   * @param outTrackId - the card
   * @param failures - the refused spaces
   * @param options - the literal secrets to mask
   */
  constructor(
    endpoint: string,
    outTrackId: string,
    failures: CardDeliverResult[],
    options?: DingTalkErrorOptions,
  ) {
    const reasons = failures.map((f) => `${f.spaceType ?? "?"}: ${f.errorMsg ?? "refused"}`).join("; ");
    super(
      {
        status: 200,
        apiCode: "card.deliver.failed",
        errmsg: reasons,
        endpoint,
        kind: "content",
        hint: "Check that the robot is in the group (or the person has used it) and that robotCode is the robot's.",
      },
      options,
    );
    this.failures = failures;
    this.outTrackId = outTrackId;
  }
}

/**
 * The card API of one app.
 * @example
 * const client = new AppClient({ appKey, appSecret });
 * const card = await client.cards.send({ templateId, data: { title: "Nightly build", status: "running" }, to: { group: cid } });
 * await card.update({ status: "green" });
 */
export class Cards {
  readonly #caller: CardEndpointCaller;
  readonly #newId: () => string;
  /** The robot that posts cards. */
  readonly robotCode: string;

  /**
   * @param caller - calls the card endpoints (an AppClient)
   * @param options - the robot and an id source
   */
  constructor(caller: CardEndpointCaller, options: CardsOptions) {
    this.#caller = caller;
    this.robotCode = options.robotCode;
    this.#newId = options.newId ?? randomUUID;
  }

  /**
   * Creates a card and shows it in a group or a 1:1 chat, in one call (`createAndDeliver`).
   * @returns a handle to update or stream into the card
   * @throws ValidationError for data that cannot be sent
   * @throws CardDeliveryError when DingTalk answered 200 but a space refused the card
   * @throws ApiError, AuthError, RateLimitedError, HttpError, RequestError
   */
  async send(options: SendCardOptions): Promise<CardHandle> {
    const outTrackId = options.outTrackId ?? this.#newId();
    const robotCode = options.robotCode ?? this.robotCode;
    const body: CreateAndDeliverCardRequest = {
      ...cardFields(options, outTrackId),
      userIdType: 1,
      ...deliverTo(options.to, robotCode, options),
    };
    const answer = await this.#caller.callCard("card.createAndDeliver", body, signalOf(options));
    checkSuccess(answer.success, "card.createAndDeliver");
    checkDeliveries("card.createAndDeliver", outTrackId, answer.result?.deliverResults ?? []);
    return this.handle(outTrackId);
  }

  /**
   * Creates a card instance without showing it anywhere (then {@link deliver} it). Most programs want
   * {@link send}, which does both in one call.
   * @throws ValidationError, ApiError and friends
   */
  async create(options: Omit<SendCardOptions, "to" | "atUserIds" | "recipients">): Promise<CardHandle> {
    const outTrackId = options.outTrackId ?? this.#newId();
    const forward = { supportForward: options.supportForward ?? true };
    const answer = await this.#caller.callCard(
      "card.create",
      {
        ...cardFields(options, outTrackId),
        imGroupOpenSpaceModel: forward,
        imRobotOpenSpaceModel: forward,
        userIdType: 1,
      },
      signalOf(options),
    );
    checkSuccess(answer.success, "card.create");
    return this.handle(outTrackId);
  }

  /**
   * Shows a created card in a group or a 1:1 chat.
   * @throws CardDeliveryError when DingTalk answered 200 but the space refused the card
   * @throws ApiError and friends
   */
  async deliver(
    outTrackId: string,
    to: CardTarget,
    options: Pick<SendCardOptions, "atUserIds" | "recipients" | "robotCode" | "signal"> = {},
  ): Promise<void> {
    const { openSpaceId, imGroupOpenDeliverModel, imRobotOpenDeliverModel } = deliverTo(
      to,
      options.robotCode ?? this.robotCode,
      options,
    );
    const answer = await this.#caller.callCard(
      "card.deliver",
      {
        outTrackId,
        openSpaceId,
        userIdType: 1,
        ...(imGroupOpenDeliverModel ? { imGroupOpenDeliverModel } : {}),
        ...(imRobotOpenDeliverModel ? { imRobotOpenDeliverModel } : {}),
      },
      signalOf(options),
    );
    checkSuccess(answer.success, "card.deliver");
    checkDeliveries("card.deliver", outTrackId, answer.result);
  }

  /**
   * A handle to a card delivered earlier (by this process or another), by its id.
   * @param outTrackId - the id the card was created with
   */
  handle(outTrackId: string): CardHandle {
    const caller = this.#caller;
    const newId = this.#newId;
    return {
      outTrackId,
      async update(data, options = {}) {
        const byKey = options.byKey ?? true;
        const answer = await caller.callCard(
          "card.update",
          {
            outTrackId,
            cardData: { cardParamMap: toCardParamMap(data) },
            ...(options.privateData ? { privateData: toPrivateData(options.privateData) } : {}),
            cardUpdateOptions: { updateCardDataByKey: byKey, updatePrivateDataByKey: byKey },
            userIdType: 1,
          },
          signalOf(options),
        );
        checkSuccess(answer.success, "card.update");
      },
      async streamContent(key, content, flags) {
        const answer = await caller.callCard(
          "card.streaming",
          {
            outTrackId,
            guid: newId(),
            key,
            content,
            isFull: true,
            isFinalize: flags.isFinalize,
            isError: flags.isError,
          },
          signalOf(flags),
        );
        checkSuccess(answer.success, "card.streaming");
      },
    };
  }

  /**
   * Registers where HTTP-mode card callbacks go (cards sent with `callbackType: "HTTP"` and this key).
   * @param options - the route key, the URL, and the secret DingTalk signs callbacks with
   */
  async registerCallback(
    options: { callbackRouteKey: string; callbackUrl: string; apiSecret?: string; forceUpdate?: boolean },
    callOptions: CallOptions = {},
  ): Promise<{ apiSecret?: string | undefined; callbackUrl?: string | undefined }> {
    const answer = await this.#caller.callCard("card.registerCallback", { ...options }, callOptions);
    checkSuccess(answer.success, "card.registerCallback");
    return answer.result ?? {};
  }
}

/**
 * Converts card data to `cardParamMap` (every value a string; see the module comment for the rules).
 * @param data - the data as a program has it
 * @param path - where the data sits, for error messages
 * @throws ValidationError naming every value that cannot be sent
 */
export function toCardParamMap(data: CardData, path = "cardParamMap"): CardParamMap {
  const out: CardParamMap = {};
  const issues: SchemaIssueInput[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const converted = cardValue(value);
    if (converted === undefined) {
      issues.push({ code: "schema", path: `${path}.${key}`, message: refusal(value) });
      continue;
    }
    out[key] = converted;
  }
  if (issues.length > 0) {
    const message = `card data has values that cannot be sent: ${issues.map((i) => `${i.path} (${i.message})`).join("; ")}`;
    throw new ValidationError(message, issues, "outbound");
  }
  return out;
}

function cardValue(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
    case "bigint":
      return String(value);
    case "number":
      return Number.isFinite(value) ? String(value) : undefined;
    case "object":
      if (value === null) return undefined;
      if (Array.isArray(value) || isPlainObject(value)) {
        try {
          return JSON.stringify(value);
        } catch {
          // A cycle or a bigint inside: refused like any other value we cannot write.
          return undefined;
        }
      }
      return undefined;
    default:
      return undefined;
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function refusal(value: unknown): string {
  if (value === null) return "null is not a card value; use an empty string";
  if (typeof value === "number") return `${value} is not a finite number`;
  if (typeof value === "object")
    return `a ${value.constructor?.name ?? "non-plain object"} is not a card value; convert it to a string`;
  return `a ${typeof value} is not a card value`;
}

/** The card itself in a `card.create` or `card.createAndDeliver` body: template, id, data, callbacks. */
function cardFields(
  options: Pick<SendCardOptions, "templateId" | "data" | "callbackType" | "callbackRouteKey" | "privateData">,
  outTrackId: string,
) {
  return {
    cardTemplateId: options.templateId,
    outTrackId,
    cardData: { cardParamMap: toCardParamMap(options.data) },
    callbackType: options.callbackType ?? "STREAM",
    ...(options.callbackRouteKey ? { callbackRouteKey: options.callbackRouteKey } : {}),
    ...(options.privateData ? { privateData: toPrivateData(options.privateData) } : {}),
  };
}

function toPrivateData(data: CardPrivateDataInput): CardPrivateData {
  const out: CardPrivateData = {};
  for (const [userId, values] of Object.entries(data)) {
    out[userId] = { cardParamMap: toCardParamMap(values, `privateData.${userId}`) };
  }
  return out;
}

function deliverTo(
  to: CardTarget,
  robotCode: string,
  options: Pick<SendCardOptions, "atUserIds" | "recipients" | "supportForward">,
): Pick<
  CreateAndDeliverCardRequest,
  | "openSpaceId"
  | "imGroupOpenDeliverModel"
  | "imRobotOpenDeliverModel"
  | "imGroupOpenSpaceModel"
  | "imRobotOpenSpaceModel"
> {
  const space = { supportForward: options.supportForward ?? true };
  if ("group" in to) {
    return {
      openSpaceId: groupOpenSpaceId(to.group),
      imGroupOpenSpaceModel: space,
      // robotCode is required here: without it an app with several robots may post from the wrong one.
      imGroupOpenDeliverModel: {
        robotCode,
        ...(options.atUserIds ? { atUserIds: { ...options.atUserIds } } : {}),
        ...(options.recipients ? { recipients: [...options.recipients] } : {}),
      },
    };
  }
  return {
    openSpaceId: robotOpenSpaceId(to.user),
    imRobotOpenSpaceModel: space,
    imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode },
  };
}

function endpointOf(name: CardEndpointName): string {
  const spec = CARD_ENDPOINTS[name];
  return `${spec.method} ${spec.path}`;
}

/** `success: false` under HTTP 200 is a refusal too. */
function checkSuccess(success: boolean | undefined, name: CardEndpointName): void {
  if (success !== false) return;
  throw new ApiError({
    status: 200,
    apiCode: "success.false",
    errmsg: "DingTalk answered success: false",
    endpoint: endpointOf(name),
    kind: "content",
  });
}

function checkDeliveries(
  name: CardEndpointName,
  outTrackId: string,
  results: readonly CardDeliverResult[],
): void {
  const failures = results.filter((r) => r.success === false);
  if (failures.length > 0) throw new CardDeliveryError(endpointOf(name), outTrackId, failures);
}

function signalOf(options: { signal?: AbortSignal | undefined }): CallOptions {
  return options.signal ? { signal: options.signal } : {};
}
