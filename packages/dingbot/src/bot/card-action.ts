/**
 * Card callbacks: someone pressed a button (or submitted a form) on a card the robot sent. `bot.action(…)`
 * registers handlers; `bot.handleCardCallback(body)` runs the first that matches and returns what the
 * transport answers DingTalk with (for Stream mode, the ACK's `data` is `JSON.stringify({response})`).
 * @module
 */
import { type CardData, type CardHandle, type Cards, toCardParamMap } from "../client/index.js";
import type { Logger } from "../logger.js";
import type { CardCallbackResponse, ParsedCardCallback } from "../protocol/api/cards.js";

/** What a card callback says, with `content` parsed. */
export type CardActionInfo = ParsedCardCallback;

/**
 * The context of one card callback: what was pressed, by whom, on which card, and how to answer.
 * @example
 * bot.action("approve", (ctx) => ctx.updateCard({ status: `approved by ${ctx.card.userId}` }));
 */
export class CardActionContext {
  /** What the last matching trigger captured: the actionId, or the RegExp's match array. */
  match: string | RegExpMatchArray | undefined;
  /** Free space for handlers. */
  readonly state: Record<string, unknown> = {};
  #response: CardCallbackResponse | undefined;

  /**
   * @param card - the parsed callback
   * @param logger - the bot's logger
   * @param cards - the bot's card API, for {@link cardHandle}
   */
  constructor(
    readonly card: CardActionInfo,
    readonly logger: Logger,
    private readonly cards?: () => Cards,
  ) {}

  /**
   * A handle to the card that was acted on, to change it later (after slow work) instead of in the answer.
   * DingTalk waits only a few seconds for the answer; answer with what is known now, update the rest later.
   * @throws ValidationError when the bot has no card API (no appKey/appSecret or `cards` option)
   * @example
   * bot.action("build", async (ctx) => {
   *   ctx.updateCard({ status: "building" });
   *   void build().then((ok) => ctx.cardHandle().update({ status: ok ? "green" : "red" }));
   * });
   */
  cardHandle(): CardHandle {
    if (!this.cards) throw new Error("this context has no card API");
    return this.cards().handle(this.card.outTrackId);
  }

  /**
   * Answers the callback with new card data (merged by key into what the card shows), and optionally new
   * data only the person who acted sees. Calling it again merges into the same answer.
   * @param data - public card data (converted as `toCardParamMap` does)
   * @param privateData - data for `ctx.card.userId` only
   * @throws ValidationError for values that cannot be sent
   */
  updateCard(data: CardData, privateData?: CardData): void {
    const response: CardCallbackResponse = this.#response ?? {
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
    };
    const cardParamMap = { ...response.cardData?.cardParamMap, ...toCardParamMap(data) };
    response.cardData = { cardParamMap };
    if (privateData) {
      const mine = {
        ...response.userPrivateData?.cardParamMap,
        ...toCardParamMap(privateData, "privateData"),
      };
      // Both spellings: the Go SDK sends `userPrivateData`, the Python example `privateData` keyed by
      // userId, and which one DingTalk reads is not documented (protocol doc, UNCERTAIN 12).
      response.userPrivateData = { cardParamMap: mine };
      response.privateData = { [this.card.userId]: { cardParamMap: mine } };
    }
    this.#response = response;
  }

  /** The answer built by {@link updateCard}, or undefined when the handler did not call it. */
  get response(): CardCallbackResponse | undefined {
    return this.#response;
  }
}

/** Which callbacks an action handler takes: an actionId, a pattern over actionIds, or any predicate. */
export type CardActionTrigger = string | RegExp | ((ctx: CardActionContext) => boolean);

/** Handles a card callback. */
export type CardActionHandler = (ctx: CardActionContext) => unknown;

/**
 * Whether a trigger matches a callback; sets `ctx.match` when it does.
 * @param trigger - an actionId, a RegExp tested against each actionId, or a predicate
 * @param ctx - the callback's context
 */
export function matchesAction(trigger: CardActionTrigger, ctx: CardActionContext): boolean {
  if (typeof trigger === "function") return trigger(ctx);
  for (const id of ctx.card.actionIds) {
    if (typeof trigger === "string") {
      if (id === trigger) {
        ctx.match = id;
        return true;
      }
      continue;
    }
    // A global or sticky RegExp keeps lastIndex between calls; start each test fresh.
    trigger.lastIndex = 0;
    const match = trigger.exec(id);
    if (match) {
      ctx.match = match;
      return true;
    }
  }
  return false;
}
