/**
 * The HTTP card callback signature: base64(HMAC-SHA256(apiSecret, timestamp)), checked with the robot
 * callback's reasons and order.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signCardCallback, verifyCardCallbackSignature } from "./card-signing.js";

const SECRET = "card-api-secret";
const TS = 1_700_000_000_000;

describe("card callback signature", () => {
  it("is base64(HMAC-SHA256(key apiSecret, message timestamp)), as DingTalk's Java and Python samples compute it", () => {
    const expected = createHmac("sha256", SECRET).update("1700000000000").digest("base64");
    expect(signCardCallback(SECRET, TS)).toBe(expected);
    expect(signCardCallback(SECRET, String(TS))).toBe(expected);
  });

  it("accepts its own signature and names each refusal", () => {
    const good = signCardCallback(SECRET, TS);
    expect(verifyCardCallbackSignature(SECRET, String(TS), good, TS + 1000)).toEqual({ ok: true });
    expect(verifyCardCallbackSignature(SECRET, undefined, good, TS)).toEqual({
      ok: false,
      reason: "missing",
    });
    expect(verifyCardCallbackSignature(SECRET, String(TS), null, TS)).toEqual({
      ok: false,
      reason: "missing",
    });
    expect(verifyCardCallbackSignature(SECRET, "12ab", good, TS)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyCardCallbackSignature(SECRET, String(TS), good, TS + 3_600_001)).toEqual({
      ok: false,
      reason: "stale",
    });
    // Node's decoder would skip the junk and compare equal; the canonical form is insisted on.
    expect(verifyCardCallbackSignature(SECRET, String(TS), `${good}!!`, TS)).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(verifyCardCallbackSignature(SECRET, String(TS), signCardCallback("other", TS), TS)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(verifyCardCallbackSignature(SECRET, String(TS), "AAAA", TS)).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });

  it("is not the robot callback's scheme (timestamp + newline + secret)", () => {
    const robot = createHmac("sha256", SECRET).update(`${TS}\n${SECRET}`).digest("base64");
    expect(verifyCardCallbackSignature(SECRET, String(TS), robot, TS)).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });
});
