/**
 * A custom robot's three security settings (protocol section 1.2): 加签 (sign), 自定义关键词 (keywords)
 * and the IP whitelist. Pure checks; the route decides the order and records the refusal.
 * @module
 */
import { BlockList, isIP } from "node:net";
import { SIGNATURE_WINDOW_MS, verifySignature } from "dingbot-sdk/protocol";
import { isLastGoodSignature, rememberGoodSignature } from "./verified-signatures.js";

/** Why a security check refused a request, with DingTalk's errmsg (the one seed 000 quotes). */
export interface SecurityFailure {
  reason: "sign" | "timestamp" | "keyword" | "ip";
  errmsg: string;
}

/**
 * Checks 加签: `sign` must be the base64 HMAC of `timestamp + "\n" + secret`, within ±1 hour of `now`.
 * @param secret - the robot's `SEC…` secret
 * @param timestamp - the `timestamp` query value
 * @param signature - the `sign` query value, already URL-decoded once (as urllib's quote_plus encoded it)
 * @param now - the emulator's clock, epoch ms
 * @returns the failure, or undefined when the signature is good
 */
export function checkSign(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  now: number,
): SecurityFailure | undefined {
  // DingTalk answers "sign not match" when no signature is sent at all, and judges the timestamp first
  // otherwise: a stale timestamp is "invalid timestamp" even when the signature is right for it.
  if (!signature) return { reason: "sign", errmsg: "sign not match" };
  // The pair verified last for this secret needs no second HMAC; the window is still judged against `now`.
  if (
    isLastGoodSignature(secret, timestamp, signature) &&
    Math.abs(now - Number(timestamp)) <= SIGNATURE_WINDOW_MS
  )
    return undefined;
  const result = verifySignature(secret, timestamp, signature, now);
  if (result.ok) {
    rememberGoodSignature(secret, timestamp as string, signature);
    return undefined;
  }
  if (result.reason === "stale" || !timestamp || !/^\d{1,16}$/.test(timestamp)) {
    return { reason: "timestamp", errmsg: "invalid timestamp" };
  }
  return { reason: "sign", errmsg: "sign not match" };
}

/**
 * Every string inside a value, depth first (object keys excluded).
 * @param value - any JSON value
 */
export function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsOf);
  return [];
}

/**
 * Checks 自定义关键词: at least one keyword must appear in some string field of the message's msgtype
 * object (`text.content`, `markdown.title`/`text`, `link.*`, `actionCard.*` including buttons, `feedCard`
 * links). DingTalk does not document which fields it searches; this is the emulator's documented choice.
 * @param keywords - the robot's keywords; empty means the setting is off
 * @param body - the parsed message body
 */
export function checkKeywords(
  keywords: readonly string[],
  body: Record<string, unknown>,
): SecurityFailure | undefined {
  if (keywords.length === 0) return undefined;
  const msgtype = body.msgtype;
  const payload = typeof msgtype === "string" ? body[msgtype] : undefined;
  const strings = stringsOf(payload);
  const found = keywords.some((keyword) => strings.some((s) => s.includes(keyword)));
  return found ? undefined : { reason: "keyword", errmsg: "keywords not in content" };
}

/** A parsed IP whitelist: exact addresses, CIDR ranges (`10.0.0.0/8`) and `a-b` ranges, IPv4 or IPv6. */
export interface IpWhitelist {
  /** Whether the address is allowed (IPv4-mapped IPv6 addresses match IPv4 entries). */
  allows(address: string): boolean;
}

/**
 * Parses whitelist entries.
 * @param entries - `1.2.3.4`, `10.0.0.0/8`, `1.2.3.4-1.2.3.9`, or their IPv6 forms
 * @returns the whitelist, or the first entry that is not an address, a CIDR range or a range
 */
export function parseIpWhitelist(
  entries: readonly string[],
): { ok: true; list: IpWhitelist } | { ok: false; bad: string } {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    const range = /^([^-]+)-([^-]+)$/.exec(entry);
    if (cidr) {
      const family = isIP(cidr[1]!);
      const prefix = Number(cidr[2]);
      if (family === 0 || prefix > (family === 4 ? 32 : 128)) return { ok: false, bad: raw };
      list.addSubnet(cidr[1]!, prefix, family === 4 ? "ipv4" : "ipv6");
    } else if (range) {
      const family = isIP(range[1]!);
      if (family === 0 || isIP(range[2]!) !== family) return { ok: false, bad: raw };
      try {
        list.addRange(range[1]!, range[2]!, family === 4 ? "ipv4" : "ipv6");
      } catch {
        return { ok: false, bad: raw };
      }
    } else {
      const family = isIP(entry);
      if (family === 0) return { ok: false, bad: raw };
      list.addAddress(entry, family === 4 ? "ipv4" : "ipv6");
    }
  }
  return {
    ok: true,
    list: {
      allows(address) {
        const family = isIP(address);
        if (family === 0) return false;
        return list.check(address, family === 4 ? "ipv4" : "ipv6");
      },
    },
  };
}

// A robot's whitelist array never changes after creation, so parse it once per array.
const parsedLists = new WeakMap<readonly string[], ReturnType<typeof parseIpWhitelist>>();

/**
 * Checks the IP whitelist.
 * @param entries - the robot's whitelist; empty means the setting is off
 * @param address - the client's address from the socket (undefined when there is no socket)
 */
export function checkIp(
  entries: readonly string[],
  address: string | undefined,
): SecurityFailure | undefined {
  if (entries.length === 0) return undefined;
  let parsed = parsedLists.get(entries);
  if (!parsed) {
    parsed = parseIpWhitelist(entries);
    parsedLists.set(entries, parsed);
  }
  const shown = displayIp(address);
  if (parsed.ok && address && parsed.list.allows(address)) return undefined;
  return { reason: "ip", errmsg: `ip ${shown} not in whitelist` };
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, as DingTalk would show an IPv4 client. */
export function displayIp(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}
