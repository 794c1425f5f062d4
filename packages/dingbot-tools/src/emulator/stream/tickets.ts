/**
 * Stream tickets: minted by `POST /v1.0/gateway/connections/open`, spent by the WebSocket handshake.
 * DingTalk says a ticket lives 90 s and opens one connection only; the emulator enforces both.
 * @module
 */
import { randomUUID } from "node:crypto";

/** What a ticket was issued for. */
export interface TicketRecord {
  ticket: string;
  appKey: string;
  /** `type topic` pairs the client subscribed to, e.g. `CALLBACK /v1.0/im/bot/messages/get`. */
  subscriptions: Array<{ type: string; topic: string }>;
  ua: string;
  issuedAt: number;
  used: boolean;
}

/** Why a ticket was refused at the handshake. */
export type TicketRefusal = "missing" | "unknown" | "used" | "expired";

/** Result of {@link TicketBook.redeem}. */
export type RedeemResult = { ok: true; record: TicketRecord } | { ok: false; reason: TicketRefusal };

/** The tickets of one emulator. */
export class TicketBook {
  readonly #tickets = new Map<string, TicketRecord>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: () => number,
  ) {}

  /** Mints a fresh single-use ticket. */
  issue(input: Omit<TicketRecord, "ticket" | "issuedAt" | "used">): TicketRecord {
    this.#sweep();
    const record: TicketRecord = { ...input, ticket: randomUUID(), issuedAt: this.now(), used: false };
    this.#tickets.set(record.ticket, record);
    return record;
  }

  /** Spends a ticket: succeeds once, within its lifetime. */
  redeem(ticket: string | null | undefined): RedeemResult {
    if (!ticket) return { ok: false, reason: "missing" };
    const record = this.#tickets.get(ticket);
    if (!record) return { ok: false, reason: "unknown" };
    if (record.used) return { ok: false, reason: "used" };
    if (this.now() - record.issuedAt > this.ttlMs()) return { ok: false, reason: "expired" };
    record.used = true;
    return { ok: true, record };
  }

  /** Forgets tickets long past their lifetime (kept a while so "used"/"expired" stay distinguishable). */
  #sweep(): void {
    if (this.#tickets.size < 1000) return;
    const horizon = this.now() - 10 * this.ttlMs();
    for (const [ticket, record] of this.#tickets) if (record.issuedAt < horizon) this.#tickets.delete(ticket);
  }
}
