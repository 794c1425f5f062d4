import { describe, expect, it } from "vitest";
import { TicketBook } from "./tickets.js";

describe("TicketBook", () => {
  const input = { appKey: "dingapp", subscriptions: [], ua: "" };

  it("redeems a ticket once", () => {
    const book = new TicketBook(
      () => 0,
      () => 90_000,
    );
    const { ticket } = book.issue(input);
    expect(book.redeem(ticket)).toMatchObject({ ok: true, record: { appKey: "dingapp" } });
    expect(book.redeem(ticket)).toEqual({ ok: false, reason: "used" });
  });

  it("refuses a ticket past its lifetime, and unknown or missing ones", () => {
    let now = 0;
    const book = new TicketBook(
      () => now,
      () => 90_000,
    );
    const { ticket } = book.issue(input);
    now = 90_001;
    expect(book.redeem(ticket)).toEqual({ ok: false, reason: "expired" });
    expect(book.redeem("nope")).toEqual({ ok: false, reason: "unknown" });
    expect(book.redeem(null)).toEqual({ ok: false, reason: "missing" });
  });
});
