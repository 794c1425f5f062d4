/**
 * The last good `timestamp` + `sign` pair of each 加签 secret. A load test against a 加签 robot sends one
 * pre-signed URL for a whole run (a signature stays good for the hour), and recomputing the same HMAC for
 * every request was the largest part of the emulator's `/robot/send` after node:http itself (bench/RESULTS.md,
 * issue 15). A request that carries the pair last verified for its secret skips the HMAC and nothing else:
 * the caller still judges the timestamp window against its clock on every request, and the signature is
 * compared in constant time. Any other pair goes through the full `verifySignature`.
 * @module
 */
import { timingSafeEqual } from "node:crypto";

/** Secrets remembered at most; an emulator with more 加签 robots starts over (a miss only costs an HMAC). */
const MAX_SECRETS = 256;

const lastGood = new Map<string, { timestamp: string; signature: string }>();

/**
 * Whether `timestamp` + `signature` is the pair last verified for `secret`.
 * @param secret - the robot's secret
 * @param timestamp - the request's `timestamp` value
 * @param signature - the request's `sign` value, URL-decoded
 */
export function isLastGoodSignature(
  secret: string,
  timestamp: string | undefined,
  signature: string,
): boolean {
  const last = lastGood.get(secret);
  return last !== undefined && last.timestamp === timestamp && sameText(last.signature, signature);
}

/**
 * Remembers a pair that `verifySignature` just accepted for `secret`.
 * @param secret - the robot's secret
 * @param timestamp - the accepted `timestamp` value
 * @param signature - the accepted `sign` value
 */
export function rememberGoodSignature(secret: string, timestamp: string, signature: string): void {
  if (lastGood.size >= MAX_SECRETS && !lastGood.has(secret)) lastGood.clear();
  lastGood.set(secret, { timestamp, signature });
}

/** String equality in time independent of where the strings differ (the length of a signature is public). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.byteLength === y.byteLength && timingSafeEqual(x, y);
}
