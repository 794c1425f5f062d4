/**
 * Per-emulator state of the robot endpoints that is not part of the visible world in the store: the rate
 * windows, the injected faults and the reply sessions. The context's `webhook` field, cleared with the store
 * on `POST /_emulator/reset`.
 * @module
 */
import { randomBytes } from "node:crypto";
import { FaultRegistry } from "./faults.js";
import type { ResolvedEmulatorOptions } from "./options.js";
import { RateWindow } from "./rate-window.js";

/** A sessionWebhook minted for one delivered message. */
export interface SessionRecord {
  /** The hex value of the `session` query parameter (the credential). */
  session: string;
  conversationId: string;
  /** The app robot that may answer through it. */
  robotCode: string;
  /** The message it answers. */
  msgId: string;
  /** Epoch ms after which it answers 300001. */
  expiresAt: number;
}

/** Mints and finds sessionWebhook sessions. */
export class SessionRegistry {
  readonly #sessions = new Map<string, SessionRecord>();

  /** Mints a session. */
  create(input: Omit<SessionRecord, "session">, now: number): SessionRecord {
    // Expired sessions are useless; drop them now and then so a long run does not grow without bound.
    if (this.#sessions.size > 10_000) {
      for (const [key, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(key);
    }
    const record: SessionRecord = { session: randomBytes(16).toString("hex"), ...input };
    this.#sessions.set(record.session, record);
    return record;
  }

  /** The live session with this value, or undefined (unknown or expired). */
  find(session: string | undefined, now: number): SessionRecord | undefined {
    if (!session) return undefined;
    const record = this.#sessions.get(session);
    return record && now <= record.expiresAt ? record : undefined;
  }

  /** Forgets every session. */
  clear(): void {
    this.#sessions.clear();
  }
}

/** The state of one emulator's robot endpoints: the context's `webhook` field. */
export class WebhookRuntime {
  readonly rate: RateWindow;
  readonly faults: FaultRegistry;
  readonly sessions = new SessionRegistry();
  /** `msgUuid`s already accepted, per robot token (DingTalk's idempotency key). */
  readonly msgUuids = new Map<string, Set<string>>();

  constructor(options: Pick<ResolvedEmulatorOptions, "rateLimit" | "rateWindowMs" | "blockMs" | "now">) {
    this.rate = new RateWindow({
      limit: options.rateLimit,
      windowMs: options.rateWindowMs,
      blockMs: options.blockMs,
    });
    this.faults = new FaultRegistry(options.now);
  }

  /** Forgets every rate window, fault, session and msgUuid (`POST /_emulator/reset`). */
  clear(): void {
    this.rate.clear();
    this.faults.clear();
    this.sessions.clear();
    this.msgUuids.clear();
  }
}
