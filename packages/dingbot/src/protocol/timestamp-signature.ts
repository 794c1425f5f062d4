/**
 * The one checker behind both of DingTalk's timestamp signatures (the robot callback's `verifySignature` and
 * the HTTP card callback's `verifyCardCallbackSignature`). Internal: not re-exported from the protocol's
 * entry point; each scheme exports its own verifier.
 * @module
 */
import { timingSafeEqual } from "node:crypto";

/** Why a signature check failed. */
export type SignatureFailure = "missing" | "malformed" | "stale" | "mismatch";

/** Result of `verifySignature` and `verifyCardCallbackSignature`. */
export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

/**
 * Checks a received `timestamp` + base64 `signature` pair in the order an attacker cannot bend: cheap
 * refusals first (missing, malformed, outside the window), then the canonical base64 form is insisted on,
 * and only then a constant-time `timingSafeEqual` of equal-length buffers.
 * @param timestamp - the received timestamp string (epoch ms)
 * @param signature - the received base64 signature (already URL-decoded)
 * @param now - the verifier's clock, epoch ms
 * @param windowMs - tolerated distance in either direction
 * @param expectedSignature - the scheme's signer, given the (already validated) timestamp string
 */
export function checkTimestampSignature(
  timestamp: string | null | undefined,
  signature: string | null | undefined,
  now: number,
  windowMs: number,
  expectedSignature: (timestamp: string) => string,
): SignatureCheck {
  if (!timestamp || !signature) return { ok: false, reason: "missing" };
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: "malformed" };
  if (Math.abs(now - Number(timestamp)) > windowMs) return { ok: false, reason: "stale" };
  const given = Buffer.from(signature, "base64");
  // Buffer.from(…, "base64") silently skips junk characters, so insist on the canonical form.
  if (given.length === 0 || given.toString("base64") !== signature) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(expectedSignature(timestamp), "base64");
  if (given.length !== expected.length) return { ok: false, reason: "mismatch" };
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: "mismatch" };
}
