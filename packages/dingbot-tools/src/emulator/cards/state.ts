/**
 * The emulator's cards: templates, card instances (by outTrackId), the HTTP callback URLs registered with
 * `callbacks/register`, each app's card permissions and the per-app, per-API call windows of the QPS limit.
 * The context's `cards` field, cleared with the store on `POST /_emulator/reset`.
 * @module
 */
import { EventEmitter } from "node:events";
import { builtInTemplates, type CardTemplate } from "./templates.js";

/** The two permissions the card calls need (DingTalk's scope names). */
export const CARD_SCOPES = ["Card.Instance.Write", "Card.Streaming.Write"] as const;
/** One of {@link CARD_SCOPES}. */
export type CardScope = (typeof CARD_SCOPES)[number];

/** Where a card was delivered. */
export interface CardDelivery {
  spaceType: "IM_GROUP" | "IM_ROBOT";
  /** The id in the open space id: a group's openConversationId, or a userId for IM_ROBOT. */
  spaceId: string;
  /** The conversation the card shows in. */
  conversationId: string;
  robotCode: string;
  /** The id of the message that shows the card (`GET /_emulator/messages`). */
  messageId: string;
  /** Groups: the people @-mentioned with the card, userId → name (`{"@ALL": "@ALL"}` for everyone). */
  atUserIds?: Record<string, string>;
  /** Groups: only these userIds see the card. */
  recipients?: string[];
}

/** A card instance, as the emulator keeps it. */
export interface CardInstance {
  outTrackId: string;
  /** The app whose token created it. */
  appKey: string;
  cardTemplateId: string;
  cardParamMap: Record<string, string>;
  /** Per userId: data only that person sees. */
  privateData: Record<string, Record<string, string>>;
  callbackType: "STREAM" | "HTTP";
  callbackRouteKey?: string;
  /** A legacy robot interactive card (`interactiveCards/send`): its JSON-string `cardData` in `cardParamMap`. */
  legacy?: boolean;
  /** Keys whose streaming was finalized (`isFinalize: true`). */
  finalizedKeys: Set<string>;
  /** guids of the streaming calls already applied (DingTalk's idempotency key). */
  guids: Set<string>;
  /** Accepted update and streaming calls. */
  updates: number;
  createdAt: number;
  updatedAt: number;
  deliveries: CardDelivery[];
}

/** What a new card is made of: everything but the bookkeeping every card starts with. */
export type NewCard = Omit<
  CardInstance,
  "finalizedKeys" | "guids" | "updates" | "createdAt" | "updatedAt" | "deliveries"
>;

/** A new card instance created at `now`: nothing finalized or applied yet, not delivered anywhere. */
export function newCardInstance(card: NewCard, now: number): CardInstance {
  return {
    ...card,
    finalizedKeys: new Set(),
    guids: new Set(),
    updates: 0,
    createdAt: now,
    updatedAt: now,
    deliveries: [],
  };
}

/** A card as the control API, the message list and the event stream show it. */
export interface CardView {
  outTrackId: string;
  cardTemplateId: string;
  /** The first conversation it was delivered to; null before delivery. */
  conversationId: string | null;
  /** Every conversation it shows in. */
  conversationIds: string[];
  cardParamMap: Record<string, string>;
  privateData: Record<string, Record<string, string>>;
  /** The AI card's (or any card's) `flowStatus` variable, when it has one. */
  flowStatus?: string;
  finalized: boolean;
  finalizedKeys: string[];
  updates: number;
  /** A legacy robot interactive card: the card's JSON document is the string `cardParamMap.cardData`. */
  legacy?: boolean;
  createdAt: number;
  updatedAt: number;
}

/** An HTTP callback URL registered with `callbacks/register`. */
export interface CardCallbackRoute {
  appKey: string;
  callbackRouteKey: string;
  callbackUrl: string;
  /** The key of the callbacks' `x-ddpaas-signature`; never shown by the control API. */
  apiSecret: string;
}

/** Events of the card state (forwarded by `GET /_emulator/events`). */
export interface CardEvents {
  "card-created": [CardView];
  "card-updated": [CardView];
}

/** Length of the QPS window, in ms. */
const QPS_WINDOW_MS = 1000;

/** Builds the view of a card. */
export function cardView(card: CardInstance): CardView {
  const flowStatus = card.cardParamMap.flowStatus;
  const conversationIds = [...new Set(card.deliveries.map((d) => d.conversationId))];
  return {
    outTrackId: card.outTrackId,
    cardTemplateId: card.cardTemplateId,
    conversationId: conversationIds[0] ?? null,
    conversationIds,
    cardParamMap: { ...card.cardParamMap },
    privateData: structuredClone(card.privateData),
    ...(flowStatus !== undefined ? { flowStatus } : {}),
    finalized: card.finalizedKeys.size > 0,
    finalizedKeys: [...card.finalizedKeys],
    updates: card.updates,
    ...(card.legacy ? { legacy: true } : {}),
    createdAt: card.createdAt,
    updatedAt: card.updatedAt,
  };
}

/** The cards of one emulator. */
export class CardState {
  readonly events = new EventEmitter<CardEvents>();
  readonly templates = new Map<string, CardTemplate>();
  readonly instances = new Map<string, CardInstance>();
  /** Registered HTTP callback URLs, by appKey and callbackRouteKey. */
  readonly #routes = new Map<string, CardCallbackRoute>();
  /** Apps with fewer than all card permissions (absent: both granted). */
  readonly #granted = new Map<string, Set<CardScope>>();
  /** Recent accepted calls per app and API, for the QPS limit. */
  readonly #calls = new Map<string, number[]>();

  constructor() {
    this.events.setMaxListeners(0);
    this.#loadBuiltIns();
  }

  #loadBuiltIns(): void {
    for (const template of builtInTemplates()) this.templates.set(template.templateId, template);
  }

  /** Cards, oldest first, optionally only those shown in one conversation. */
  list(conversationId?: string): CardInstance[] {
    const all = [...this.instances.values()];
    return conversationId === undefined
      ? all
      : all.filter((card) => card.deliveries.some((d) => d.conversationId === conversationId));
  }

  /** Tells listeners a card was created. */
  created(card: CardInstance): void {
    this.events.emit("card-created", cardView(card));
  }

  /** Tells listeners a card changed. */
  updated(card: CardInstance): void {
    this.events.emit("card-updated", cardView(card));
  }

  /** The route registered under this key by this app. */
  route(appKey: string, callbackRouteKey: string): CardCallbackRoute | undefined {
    return this.#routes.get(`${appKey}\n${callbackRouteKey}`);
  }

  /** Registers (or replaces) a route. */
  setRoute(route: CardCallbackRoute): void {
    this.#routes.set(`${route.appKey}\n${route.callbackRouteKey}`, route);
  }

  /** The card permissions an app has. */
  granted(appKey: string): CardScope[] {
    return [...(this.#granted.get(appKey) ?? CARD_SCOPES)];
  }

  /** Sets the card permissions of an app. */
  grant(appKey: string, scopes: readonly CardScope[]): void {
    this.#granted.set(appKey, new Set(scopes));
  }

  /**
   * Counts a call of an app to one card API and says whether it stays within `limit` calls per second
   * (a sliding one-second window; refused calls are not counted).
   */
  admit(appKey: string, api: string, limit: number, now: number): boolean {
    const key = `${appKey}\n${api}`;
    const calls = (this.#calls.get(key) ?? []).filter((t) => now - t < QPS_WINDOW_MS);
    if (calls.length >= limit) {
      this.#calls.set(key, calls);
      return false;
    }
    calls.push(now);
    this.#calls.set(key, calls);
    return true;
  }

  /** Forgets every card, registered template, route, permission and call window. */
  clear(): void {
    this.instances.clear();
    this.templates.clear();
    this.#loadBuiltIns();
    this.#routes.clear();
    this.#granted.clear();
    this.#calls.clear();
  }
}
