/**
 * Keeps other web sites away from the control API (`/_emulator/*`) and the chat page (`/`).
 *
 * The control API shows test secrets and can reset the emulator or make it call any URL (an app's
 * `callbackUrl`), so a page the developer happens to visit must not be able to drive it:
 *
 * - **Host** (421): only `localhost`, `127.0.0.1`, `[::1]`, the listen address and `allowHosts` are
 *   answered. A DNS-rebinding page reaches the emulator under its own host name, so this stops it reading
 *   answers. When the emulator listens on a wildcard address (`0.0.0.0`, `::`) every IP literal names it too;
 *   an IP literal cannot be rebound.
 * - **Origin** (403): a request that carries an `Origin` (browsers add it to every cross-origin request and
 *   to same-origin POSTs) must come from the emulator's own origin, which is how the chat page calls it.
 *   `Sec-Fetch-Site: cross-site`/`same-site` is refused too, for browsers that leave `Origin` out.
 * - **Content-Type** (415): a POST, PUT, PATCH or DELETE with a body must say `application/json`. A web
 *   page can send a form or text body cross-site without asking first, but not a JSON one. A request without
 *   a body (`curl -X POST …/_emulator/reset`) needs no Content-Type: a browser that sends it cross-site also
 *   sends an `Origin`, which the check above refuses.
 *
 * Requests through `app.request()` without a socket skip the Host check: no browser can send them.
 *
 * DingTalk's own paths (`/robot/send`, `/v1.0/…`, `/topapi/…`, the gateway) are not guarded: bots in other
 * containers reach them under any host name, and they carry no emulator secret.
 * @module
 */
import { isIP } from "node:net";
import type { Context, Next } from "hono";
import { multipartBoundary } from "../../http/multipart.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { isJsonContentType } from "./webhook-request.js";

/** Host names every emulator answers to, whatever it listens on. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Methods that change the emulator and may carry a body. */
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The host name of a `Host` header (or URL host), lower case, without port; IPv6 keeps its brackets.
 * @param host - e.g. `localhost:8089`, `[::1]:8089`, `Example.test`
 * @returns the name, or undefined when it is not a plausible host
 */
export function hostName(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * Whether a request for `host` may be answered.
 * @param host - the request's `Host` header
 * @param listenHost - the address the emulator listens on, if it listens
 * @param allowHosts - extra names (`--allow-host`)
 */
export function isAllowedHost(
  host: string,
  listenHost: string | undefined,
  allowHosts: readonly string[],
): boolean {
  const name = hostName(host);
  if (name === undefined) return false;
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  const allowed = [...LOOPBACK_NAMES, ...allowHosts.map((h) => h.toLowerCase())];
  if (listenHost !== undefined) {
    const listen = listenHost.toLowerCase();
    if (listen === "0.0.0.0" || listen === "::" || listen === "[::]") {
      // Listening everywhere: any of the machine's addresses names it, and no IP literal can be rebound.
      if (isIP(bare) !== 0) return true;
    }
    allowed.push(listen.includes(":") && !listen.startsWith("[") ? `[${listen}]` : listen);
  }
  return allowed.some((a) => a === name || (a.startsWith("[") ? a.slice(1, -1) : a) === bare);
}

/** Whether the request carries a body (a length above zero, or a chunked one). */
function hasBody(c: Context): boolean {
  const length = c.req.header("content-length");
  if (length !== undefined) return Number(length) !== 0;
  return c.req.header("transfer-encoding") !== undefined;
}

/** The request's own origin host (`host:port`), as the `Host` header (or, without a socket, the URL) says. */
function requestHost(c: Context): string {
  return c.req.header("host") ?? new URL(c.req.url).host;
}

/**
 * Checks one control or page request; answers the refusal, or undefined to go on.
 * @param c - the request
 * @param ctx - the emulator (listen address, allowed hosts)
 */
function refusal(c: Context, ctx: EmulatorContext): Response | undefined {
  const host = requestHost(c);
  // app.request() in-process (no socket) cannot come from a browser, and tests name any host they like.
  const overNetwork = (c.env as { incoming?: unknown } | undefined)?.incoming !== undefined;
  if (overNetwork && !isAllowedHost(host, ctx.listenHost, ctx.options.allowHosts)) {
    return c.json(
      {
        error:
          "unknown Host: the control API answers only to localhost and its listen address (--allow-host)",
      },
      421,
    );
  }
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    let sameOrigin = false;
    try {
      sameOrigin = new URL(origin).host === new URL(`http://${host}`).host;
    } catch {
      // "null" (sandboxed frames, file: pages) and junk are foreign.
    }
    if (!sameOrigin) return c.json({ error: "cross-origin requests to the control API are refused" }, 403);
  }
  const site = c.req.header("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    return c.json({ error: "cross-origin requests to the control API are refused" }, 403);
  }
  if (
    WRITE_METHODS.has(c.req.method) &&
    hasBody(c) &&
    !isJsonContentType(c.req.header("content-type") ?? null) &&
    // The one upload of the control API takes a file as a form too; a browser sending it cross-site also
    // sends an Origin, refused above.
    !(c.req.path === "/_emulator/media" && multipartBoundary(c.req.header("content-type")) !== undefined)
  ) {
    return c.json({ error: "the control API takes JSON: send Content-Type: application/json" }, 415);
  }
  return undefined;
}

/** Installs the Host, Origin and Content-Type checks in front of `/_emulator/*` and `/`. */
export const installControlGuard: RouteInstaller = (app, ctx) => {
  const guard = async (c: Context, next: Next) => {
    const refused = refusal(c, ctx);
    if (refused) return refused;
    await next();
  };
  app.use("/_emulator/*", guard);
  app.use("/", guard);
};
