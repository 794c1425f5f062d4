/**
 * DingTalk's one signature scheme: base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret)).
 * The custom robot puts it URL-encoded in the query; app callbacks put it raw in a `sign` header.
 * @module
 */
import { createHmac } from "node:crypto";
import { SIGNATURE_WINDOW_MS } from "./constants.js";
import { checkTimestampSignature, hmacKey, type SignatureCheck } from "./timestamp-signature.js";

/**
 * Computes DingTalk's signature for a timestamp, exactly as the official Python samples do.
 * @param secret - the robot's `SEC…` secret or the app's appSecret (UTF-8)
 * @param timestamp - epoch milliseconds, as a number or its decimal string
 * @returns the standard base64 signature (not URL-encoded)
 * @example
 * sign("SECxxx", 1577262236757) // "…=" — put it in the query with encodeURIComponent
 */
export function sign(secret: string, timestamp: number | string): string {
  return digest(secret, timestamp).toString("base64");
}

/** The raw HMAC-SHA256 of a timestamp under DingTalk's scheme. */
function digest(secret: string, timestamp: number | string): Buffer {
  return createHmac("sha256", hmacKey(secret)).update(`${timestamp}\n${secret}`).digest();
}

/**
 * Appends `timestamp` and URL-encoded `sign` to a webhook URL, as the custom robot's 加签 mode wants.
 * @param webhookUrl - the robot's webhook, carrying `access_token`
 * @param secret - the robot's `SEC…` secret
 * @param now - epoch milliseconds to sign
 */
export function signWebhookUrl(webhookUrl: string, secret: string, now: number): string {
  const url = new URL(webhookUrl);
  // URLSearchParams encodes the raw base64 once; encoding it ourselves too would give "sign not match".
  url.searchParams.set("timestamp", String(now));
  url.searchParams.set("sign", sign(secret, now));
  return url.toString();
}

export type { SignatureCheck, SignatureFailure } from "./timestamp-signature.js";

/**
 * Verifies a `timestamp` + `sign` pair in constant time, with DingTalk's ±1 hour window. Cheap refusals first
 * (missing, malformed, outside the window), then the canonical base64 form is insisted on (Node's decoder skips
 * junk silently), and only then a constant-time `timingSafeEqual` of equal-length buffers.
 * @param secret - the secret both sides share
 * @param timestamp - the received timestamp string (epoch ms)
 * @param signature - the received base64 signature (already URL-decoded)
 * @param now - the verifier's clock, epoch ms
 * @param windowMs - tolerated distance in either direction (default one hour)
 */
export function verifySignature(
  secret: string,
  timestamp: string | null | undefined,
  signature: string | null | undefined,
  now: number,
  windowMs: number = SIGNATURE_WINDOW_MS,
): SignatureCheck {
  return checkTimestampSignature(timestamp, signature, now, windowMs, (ts) => digest(secret, ts));
}
