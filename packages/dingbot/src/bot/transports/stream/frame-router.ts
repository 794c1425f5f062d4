/**
 * What the Stream client does with each frame (protocol 3.3–3.6): CALLBACK robot messages become
 * Updates (validated, de-duplicated, acked per the ack policy), CALLBACK card callbacks go to the bot's
 * action handlers and their answer goes back in the ack, EVENTs go to `onEvent`, SYSTEM pings are
 * echoed, SYSTEM disconnect moves to a new socket. Unknown frames are ignored, never fatal.
 * @module
 */
import type { Logger } from "../../../logger.js";
import {
  CARD_CALLBACK_TOPIC,
  type DownstreamFrame,
  formatIssues,
  parseJson,
  ROBOT_MESSAGE_TOPIC,
  readDownstreamFrame,
  readInboundMessage,
} from "../../../protocol/index.js";
import type { MsgIdCache } from "../../msg-id-cache.js";
import type { CardCallbackHandler, Dispatch, Responder, Update } from "../transport.js";
import type { Link } from "./connection.js";

/** When the transport acknowledges a robot message. */
export type StreamAckPolicy = "on-receipt" | "after-handler";

/** What an EVENT handler answers: `SUCCESS` (consumed) or `LATER` (redeliver). */
export type EventStatus = "SUCCESS" | "LATER";

/** An EVENT frame as the transport hands it to `onEvent`. */
export interface StreamEvent {
  headers: Record<string, unknown>;
  /** The parsed `data`, or the raw text when it is not JSON. */
  data: unknown;
}

/** Counters, for tests, logs and benchmarks. */
export interface StreamStats {
  /** Robot messages handed to the bot. */
  dispatched: number;
  /** Card callbacks handed to the bot's action handlers. */
  cardCallbacks: number;
  /** Frames dropped as redeliveries of something already seen. */
  duplicates: number;
  /** Ack frames sent (robot messages, events and pings). */
  acks: number;
  /** Handlers that threw or rejected (card action handlers included). */
  failures: number;
  /** Reconnects scheduled. */
  reconnects: number;
}

/** What the router needs from the transport. */
export interface FrameRouterConfig {
  ackPolicy: StreamAckPolicy;
  /** The transport's own memory: of event ids, and of msgIds when the bot hands it none. */
  dedupe: MsgIdCache;
  logger: Logger;
  now(): number;
  onEvent: ((event: StreamEvent) => EventStatus | Promise<EventStatus>) | undefined;
  stats: StreamStats;
  /** A handler started; stop() waits for each to settle. Counted, not kept: no promise per message. */
  handlerStarted(): void;
  /** A handler started with {@link handlerStarted} settled (it never rejects into the router). */
  handlerSettled(): void;
}

const OK_RESPONSE = JSON.stringify({ response: null });

/** An ack frame as text; `data` is already a JSON string. */
function ackText(messageId: string, code: number, message: string, data: string): string {
  return JSON.stringify({ code, headers: { contentType: "application/json", messageId }, message, data });
}

/** The ack of a handled robot message, the one sent for nearly every frame: only the messageId varies. */
function okAck(messageId: string): string {
  // DingTalk's messageIds are plain ASCII (letters, digits, "-", "_", "."); only other ids need escaping.
  const id = PLAIN_ID.test(messageId) ? `"${messageId}"` : JSON.stringify(messageId);
  return `${OK_ACK_HEAD}${id}${OK_ACK_TAIL}`;
}
const PLAIN_ID = /^[\w.:-]*$/;
const OK_ACK_HEAD = '{"code":200,"headers":{"contentType":"application/json","messageId":';
const OK_ACK_TAIL = `},"message":"OK","data":${JSON.stringify(OK_RESPONSE)}}`;

/** The ack of an answered card callback: its `data` is `{"response": …}` (`null` for "nothing to change"). */
function okCardAck(messageId: string, response: unknown): string {
  return ackText(messageId, 200, "OK", JSON.stringify({ response: response ?? null }));
}

/**
 * A refusal of what DingTalk sent (a `ValidationError` with direction "inbound"), told by its code rather
 * than its class: the handler may come from another copy of dingbot.
 */
function isInboundValidation(error: unknown): boolean {
  const e = error as { code?: unknown; direction?: unknown } | null;
  return typeof e === "object" && e !== null && e.code === "DT_VALIDATION" && e.direction === "inbound";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `ack()` returns: nothing to wait for, and no promise made per message. */
const RESOLVED: Promise<void> = Promise.resolve();

/** The transport's side of one robot message: its ack, sent once, and the {@link Responder} the bot gets. */
class Delivery implements Responder {
  #acked = false;

  constructor(
    private readonly router: FrameRouter,
    private readonly link: Link,
    private readonly messageId: string,
  ) {}

  /** Acks 200 unless already acked (the responder's `ack`, idempotent). */
  ack(): Promise<void>;
  /** Acks with a code unless already acked. */
  ack(code: number, text: string): Promise<void>;
  ack(code = 200, text = "OK"): Promise<void> {
    if (code === 200) this.ackOk();
    else if (!this.#acked) {
      this.#acked = true;
      this.router.sendAck(this.link, ackText(this.messageId, code, text, OK_RESPONSE));
    }
    return RESOLVED;
  }

  /** Acks 200 unless already acked; the template ack that nearly every frame gets. */
  ackOk(): void {
    if (this.#acked) return;
    this.#acked = true;
    this.router.sendAck(this.link, okAck(this.messageId));
  }
}

/** Routes the frames of every socket of one transport. */
export class FrameRouter {
  /** Set by Transport.start(). */
  dispatch: Dispatch | undefined;
  /** Set by Transport.start() when the bot has card action handlers. */
  cardCallback: CardCallbackHandler | undefined;
  /**
   * The msgId memory of robot messages: the transport's own (`config.dedupe`) until Transport.start() hands
   * it the bot's, which outlives this transport (a redelivery after a restart is still a repeat).
   */
  seen: MsgIdCache;

  constructor(private readonly config: FrameRouterConfig) {
    this.seen = config.dedupe;
  }

  /** Handles one text frame that arrived on `link`. */
  route(text: string, link: Link): void {
    // Nesting is capped: a hostile frame must not exhaust the stack in the parser or the schema check.
    const json = parseJson(text);
    if (!json.ok) {
      this.config.logger.warn(
        { reason: json.reason },
        json.reason === "too-deep"
          ? "stream frame is nested too deeply; ignored"
          : "stream frame is not JSON; ignored",
      );
      return;
    }
    const parsed = readDownstreamFrame(json.value);
    if (!parsed.ok) {
      this.config.logger.warn(
        { issues: formatIssues(parsed.issues) },
        "stream frame has an unexpected shape; ignored",
      );
      return;
    }
    const frame = parsed.value;
    if (frame.type === "CALLBACK") this.#callback(frame, link);
    else if (frame.type === "EVENT") this.#event(frame, link);
    else this.#system(frame, link);
  }

  #send(link: Link, text: string): void {
    this.config.stats.acks += 1;
    link.send(text);
  }

  #callback(frame: DownstreamFrame, link: Link): void {
    const messageId = frame.headers.messageId;
    if (!messageId) return;
    if (frame.headers.topic === CARD_CALLBACK_TOPIC && this.cardCallback) {
      this.#card(frame.data, messageId, link, this.cardCallback);
      return;
    }
    if (frame.headers.topic !== ROBOT_MESSAGE_TOPIC) {
      // 404 is the protocol's "topic not supported" answer; the server stops redelivering.
      this.#send(link, ackText(messageId, 404, "topic not supported", OK_RESPONSE));
      return;
    }
    const update = this.#toUpdate(frame.data, messageId, link);
    if (update) this.#run(update, messageId, link);
  }

  /** Parses and validates the robot message; acks and returns undefined for invalid bodies and duplicates. */
  #toUpdate(data: string, messageId: string, link: Link): Update | undefined {
    const json = parseJson(data);
    if (!json.ok && json.reason === "too-deep") {
      this.config.logger.warn({ messageId }, "stream robot message is nested too deeply; acked with 400");
      this.#send(link, ackText(messageId, 400, "message nested too deeply", OK_RESPONSE));
      return undefined;
    }
    const parsed = readInboundMessage(json.ok ? json.value : undefined);
    if (!parsed.ok) {
      this.config.logger.warn(
        { messageId, issues: formatIssues(parsed.issues) },
        "stream robot message failed validation; acked with 400",
      );
      this.#send(link, ackText(messageId, 400, "invalid message", OK_RESPONSE));
      return undefined;
    }
    const message = parsed.value;
    // By msgId alone: a redelivered frame repeats its message's msgId, under the same frame id or a new one.
    const seen = this.seen;
    if (!seen.add(message.msgId)) {
      this.config.stats.duplicates += 1;
      // Ack again so the server stops redelivering; the handler already saw it.
      this.#send(link, ackText(messageId, 200, "OK", OK_RESPONSE));
      return undefined;
    }
    return {
      id: message.msgId,
      topic: ROBOT_MESSAGE_TOPIC,
      message,
      receivedAt: this.config.now(),
      via: "stream",
      deduplicatedBy: seen,
    };
  }

  /**
   * Runs the handler; acks on receipt or when it settles (500 if it threw), exactly once. One object per
   * message ({@link Delivery}) and one async settle: the hot path makes no closures (issue 15 profile).
   */
  #run(update: Update, messageId: string, link: Link): void {
    const delivery = new Delivery(this, link, messageId);
    if (this.config.ackPolicy === "on-receipt") delivery.ackOk();
    this.config.stats.dispatched += 1;
    let run: Promise<void>;
    try {
      run = this.dispatch ? this.dispatch(update, delivery) : Promise.resolve();
    } catch (error) {
      // A dispatch that throws synchronously instead of rejecting.
      this.handlerFailed(delivery, update.id, error);
      return;
    }
    this.config.handlerStarted();
    void this.#settle(run, delivery, update.id);
  }

  async #settle(run: Promise<void>, delivery: Delivery, msgId: string): Promise<void> {
    try {
      await run;
      delivery.ackOk();
    } catch (error) {
      this.handlerFailed(delivery, msgId, error);
    } finally {
      this.config.handlerSettled();
    }
  }

  /** Counts and logs a failed handler and acks 500, the protocol's "internal error" (docs/stream-mode.md). */
  handlerFailed(delivery: Delivery, msgId: string, error: unknown): void {
    this.config.stats.failures += 1;
    this.config.logger.error({ msgId, err: errorText(error) }, "stream handler failed");
    delivery.ack(500, "handler failed");
  }

  /** Sends an ack frame on a link (counted). */
  sendAck(link: Link, text: string): void {
    this.#send(link, text);
  }

  /**
   * Runs a card callback through the action handlers and acks with their answer as `data`
   * (`{"response": …}`, as the official SDKs do), so it is always acked after the handler. The answer
   * is what changes the card; DingTalk waits about 2 s for it. A malformed callback is acked 400 with the
   * reason and reaches no handler; a throwing handler is acked 500. Redeliveries of a messageId already
   * handled are acked again without running the handler twice (a card action may not be idempotent).
   */
  #card(data: string, messageId: string, link: Link, handler: CardCallbackHandler): void {
    const { stats, logger, dedupe } = this.config;
    const key = `card:${messageId}`;
    if (dedupe.has(key)) {
      stats.duplicates += 1;
      this.#send(link, ackText(messageId, 200, "OK", OK_RESPONSE));
      return;
    }
    dedupe.add(key);
    stats.cardCallbacks += 1;
    this.config.handlerStarted();
    void (async () => {
      let text: string;
      try {
        const response = await handler(data);
        text = okCardAck(messageId, response);
      } catch (error) {
        if (isInboundValidation(error)) {
          logger.warn(
            { messageId, err: errorText(error) },
            "stream card callback is malformed; acked with 400",
          );
          text = ackText(messageId, 400, errorText(error).slice(0, 300), OK_RESPONSE);
        } else {
          stats.failures += 1;
          // The bot logged the handler's error already; here it only decides the ack.
          logger.error({ messageId }, "stream card action handler failed; acked with 500");
          text = ackText(messageId, 500, "handler failed", OK_RESPONSE);
        }
      }
      this.#send(link, text);
    })().finally(() => this.config.handlerSettled());
  }

  #event(frame: DownstreamFrame, link: Link): void {
    const messageId = frame.headers.messageId;
    if (!messageId) return;
    // Not JSON (or nested beyond the cap): the handler gets the raw text.
    const json = parseJson(frame.data);
    const data: unknown = json.ok ? json.value : frame.data;
    const answer = (status: EventStatus): void =>
      this.#send(link, ackText(messageId, 200, "OK", JSON.stringify({ status, message: "" })));
    const handler = this.config.onEvent;
    if (!handler) {
      // Not subscribed to events, so this one was meant for someone else: 404 ("no handler", as the Go
      // SDK answers) rather than SUCCESS, which would consume it.
      this.#send(link, ackText(messageId, 404, "no event handler", JSON.stringify({ status: "LATER" })));
      return;
    }
    this.config.handlerStarted();
    void (async () => {
      try {
        answer(await handler({ headers: frame.headers, data }));
      } catch (error) {
        this.config.logger.error({ messageId, err: errorText(error) }, "stream event handler failed");
        answer("LATER");
      }
    })().finally(() => this.config.handlerSettled());
  }

  #system(frame: DownstreamFrame, link: Link): void {
    const { topic, messageId } = frame.headers;
    if (topic === "ping" && messageId) {
      this.#send(link, ackText(messageId, 200, "OK", frame.data));
    } else if (topic === "disconnect") {
      // Ack first (as the Go SDK does) so the server does not resend it, then move to a new socket.
      if (messageId) this.#send(link, ackText(messageId, 200, "OK", frame.data));
      this.config.logger.info({}, "stream server asked to disconnect; moving to a new connection");
      link.retire();
    }
  }
}
