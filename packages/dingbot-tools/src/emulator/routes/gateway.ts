/**
 * `POST /v1.0/gateway/connections/open` (protocol 3.1): checks the app's credentials and mints a
 * single-use ticket for the Stream WebSocket at `ws://<host>:<port>/connect`.
 * @module
 */
import { randomUUID } from "node:crypto";
import { check, formatIssues, GATEWAY_OPEN_PATH, GatewayOpenRequestSchema } from "dingbot-sdk/protocol";
import type { Context } from "hono";
import type { RouteInstaller } from "../context.js";
import { STREAM_CONNECT_PATH } from "../stream/listen-hook.js";
import { ticketBookOf } from "../stream/tickets.js";
import { readCappedBody } from "./webhook-request.js";

/** Largest connection-open body accepted, in bytes (real requests are a few hundred). */
const MAX_BODY_BYTES = 64 * 1024;

/** A new-API error answer: non-2xx status and `{code, message, requestid}`. */
function apiError(c: Context, status: 400 | 401 | 413, code: string, message: string): Response {
  return c.json({ requestid: randomUUID().toUpperCase(), code, message }, status);
}

/**
 * The WebSocket endpoint as seen by this client: same host, `ws`/`wss` scheme, and always an explicit
 * port, because the Java SDK rebuilds the URL from scheme, host and port.
 */
function endpointFor(c: Context): string {
  const url = new URL(c.req.url);
  const secure = url.protocol === "https:";
  const port = url.port || (secure ? "443" : "80");
  return `${secure ? "wss" : "ws"}://${url.hostname}:${port}${STREAM_CONNECT_PATH}`;
}

/** Installs the Stream gateway. */
export const installGateway: RouteInstaller = (app, ctx) => {
  app.post(GATEWAY_OPEN_PATH, async (c) => {
    // A client that hangs up mid-body gets no answer anyway; refuse instead of throwing into Hono.
    const read = await readCappedBody(c.req.raw, MAX_BODY_BYTES).catch(() => undefined);
    if (!read) return apiError(c, 400, "invalidParameter", "the request body could not be read");
    if (!read.ok) return apiError(c, 413, "invalidParameter.body.tooLarge", "请求体过大");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(read.bytes));
    } catch {
      return apiError(c, 400, "invalidParameter", "body is not valid JSON");
    }
    const parsed = check(GatewayOpenRequestSchema, json);
    if (!parsed.ok) return apiError(c, 400, "invalidParameter", formatIssues(parsed.issues));
    const request = parsed.value;
    const app = ctx.store.apps.get(request.clientId);
    if (!app || app.appSecret !== request.clientSecret) {
      ctx.store.recordRejection({
        endpoint: `POST ${GATEWAY_OPEN_PATH}`,
        subject: request.clientId,
        errcode: "authFailed",
        errmsg: "鉴权失败",
        reason: "credentials",
      });
      return apiError(c, 401, "authFailed", "鉴权失败");
    }
    const record = ticketBookOf(ctx).issue({
      appKey: app.appKey,
      subscriptions: request.subscriptions,
      ua: request.ua ?? "",
    });
    return c.json({ endpoint: endpointFor(c), ticket: record.ticket });
  });
};
