/**
 * The checks a webhook passes before its body is read: no browser origin, a JSON content type, and the
 * route's credentials. Together they stop a web page in someone's browser from posting into a group: a
 * cross-site `fetch` either carries an Origin header or, to send `application/json`, needs a CORS
 * preflight the relay never grants.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { RouteAuthInput } from "./config-schema.js";

/** `application/json`, or any `application/…+json`, with or without parameters (`; charset=utf-8`). */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json[ \t]*(?:;|$)/i;

/**
 * Whether a Content-Type header names JSON.
 * @param contentType - the header, if any
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_MEDIA_TYPE.test(contentType.trim());
}

/** Reads one request header, lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

/**
 * Reads node:http's headers as a {@link HeaderReader}: a repeated header's values joined with ", ", as the
 * Fetch `Headers` would. The fast route and the Hono route both read these, so both see the same values.
 * @param headers - `req.headers` of node:http
 */
export function nodeHeaderReader(headers: IncomingHttpHeaders): HeaderReader {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(", ") : value;
  };
}

/** A route's auth, ready to check requests. */
export interface RouteGuard {
  /** The header the credentials go in (for the 401's reason). */
  readonly header: string;
  /** Whether a request carries the right credentials. */
  check(header: HeaderReader): boolean;
}

/** SHA-256 of both sides first: timingSafeEqual needs equal lengths, and the length must not leak either. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Compiles a route's `auth` into a check done in constant time.
 * @param auth - `{ bearer }` or `{ header, secret }` from the config
 */
export function compileGuard(auth: RouteAuthInput): RouteGuard {
  if ("bearer" in auth) {
    const token = auth.bearer;
    return {
      header: "Authorization",
      check(header) {
        const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header("authorization") ?? "");
        return sameSecret(match?.[1] ?? "", token) && match !== null;
      },
    };
  }
  const name = auth.header.toLowerCase();
  const secret = auth.secret;
  return {
    header: auth.header,
    check(header) {
      const given = header(name);
      return sameSecret(given ?? "", secret) && given !== undefined;
    },
  };
}
