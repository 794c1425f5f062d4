/**
 * The one checker behind both of DingTalk's timestamp signatures (the robot callback's `verifySignature` and
 * the HTTP card callback's `verifyCardCallbackSignature`). Internal: not re-exported from the protocol's
 * entry point; each scheme exports its own verifier.
 * @module
 */
import { createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";

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
 * @param expectedDigest - the scheme's signer: the raw HMAC digest for the (already validated) timestamp
 */
export function checkTimestampSignature(
  timestamp: string | null | undefined,
  signature: string | null | undefined,
  now: number,
  windowMs: number,
  expectedDigest: (timestamp: string) => Buffer,
): SignatureCheck {
  if (!timestamp || !signature) return { ok: false, reason: "missing" };
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: "malformed" };
  if (Math.abs(now - Number(timestamp)) > windowMs) return { ok: false, reason: "stale" };
  const given = Buffer.from(signature, "base64");
  // Buffer.from(…, "base64") silently skips junk characters, so insist on the canonical form.
  if (given.length === 0 || given.toString("base64") !== signature) return { ok: false, reason: "malformed" };
  const expected = expectedDigest(timestamp);
  if (given.length !== expected.length) return { ok: false, reason: "mismatch" };
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: "mismatch" };
}

const keys = new Map<string, KeyObject>();
/** Secrets whose keys are kept; an emulator with more robots than this starts over (the keys are cheap). */
const MAX_KEYS = 256;

/**
 * The HMAC key of a secret, made once: `createHmac` with a KeyObject skips converting and importing the
 * secret on every call (≈ 20 % of a signature check on Node 20, measured in issue 15).
 * @param secret - the shared secret (UTF-8)
 */
export function hmacKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (key === undefined) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = createSecretKey(Buffer.from(secret, "utf8"));
    keys.set(secret, key);
  }
  return key;
}
