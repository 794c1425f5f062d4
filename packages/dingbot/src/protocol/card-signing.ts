/**
 * The signature of DingTalk's HTTP card callbacks: when a callback URL is registered with an `apiSecret`
 * (`POST /v1.0/card/callbacks/register`), each callback carries `x-ddpaas-signature-timestamp` and
 * `x-ddpaas-signature` = base64(HMAC-SHA256(key = apiSecret, msg = timestamp)). It is not the robot
 * callback's scheme (`timestamp`/`sign` over `timestamp + "\n" + appSecret`): other headers, another
 * secret, another string to sign. Source: DingTalk's card "event callback" page (回调签名验证), whose Java
 * and Python samples compute `Base64(HmacSHA256(apiSecret, Long.toString(ts)))`.
 * @module
 */
import { createHmac } from "node:crypto";
import { SIGNATURE_WINDOW_MS } from "./constants.js";
import { checkTimestampSignature, hmacKey, type SignatureCheck } from "./timestamp-signature.js";

/** Header holding the signing time of an HTTP card callback (epoch ms). */
export const CARD_SIGNATURE_TIMESTAMP_HEADER = "x-ddpaas-signature-timestamp";
/** Header holding the signature of an HTTP card callback. */
export const CARD_SIGNATURE_HEADER = "x-ddpaas-signature";

/**
 * Computes the signature DingTalk puts on an HTTP card callback.
 * @param apiSecret - the `apiSecret` given to `callbacks/register`
 * @param timestamp - epoch ms, as a number or its decimal string
 * @returns standard base64
 * @example
 * headers["x-ddpaas-signature"] = signCardCallback(apiSecret, ts);
 */
export function signCardCallback(apiSecret: string, timestamp: number | string): string {
  return createHmac("sha256", hmacKey(apiSecret)).update(String(timestamp)).digest("base64");
}

/**
 * Verifies an HTTP card callback's signature headers in constant time, in the same order and with the same
 * reasons as the robot callback's `verifySignature`: missing, malformed, outside the window (DingTalk
 * documents none for cards; the robot callback's hour is used), then a canonical-base64, equal-length
 * `timingSafeEqual`.
 * @param apiSecret - the registered `apiSecret`
 * @param timestamp - the `x-ddpaas-signature-timestamp` header
 * @param signature - the `x-ddpaas-signature` header
 * @param now - the verifier's clock, epoch ms
 * @param windowMs - tolerated distance in either direction (default one hour)
 */
export function verifyCardCallbackSignature(
  apiSecret: string,
  timestamp: string | null | undefined,
  signature: string | null | undefined,
  now: number,
  windowMs: number = SIGNATURE_WINDOW_MS,
): SignatureCheck {
  return checkTimestampSignature(timestamp, signature, now, windowMs, (ts) =>
    createHmac("sha256", hmacKey(apiSecret)).update(ts).digest(),
  );
}
