/**
 * `POST /v1.0/gateway/connections/open` (protocol 3.1): checks the app's credentials and mints a
 * single-use ticket for the Stream WebSocket at `ws://<host>:<port>/connect`. Answers JSON only to a
 * request that asks for it with `Accept: application/json`, and XML otherwise, as DingTalk does.
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  check,
  formatIssues,
  GATEWAY_OPEN_PATH,
  GatewayOpenRequestSchema,
  parseJson,
} from "dingbot-sdk/protocol";
import type { Context } from "hono";
import { readCappedBody } from "../../http/read-body.js";
import type { RouteInstaller } from "../context.js";
import { STREAM_CONNECT_PATH } from "../stream/listen-hook.js";

/** Largest connection-open body accepted, in bytes (real requests are a few hundred). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Whether the request accepts JSON. The official Node SDK sends `Accept: application/json` because "otherwise
 * the default answer is XML" (its client.ts); the Go, Python and Java SDKs send it too. A server that prefers
 * XML answers XML to a missing Accept and to a bare wildcard, so only an explicit JSON type (not refused
 * with q=0) gets JSON; axios's default `application/json, text/plain, <wildcard>` does.
 * @param accept - the Accept header, if any
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) return false;
    return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
  });
}

function xmlEscape(value: string): string {
  return value.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The gateway's answer in the representation the request asked for. The XML element names are the
 * emulator's choice (DingTalk's XML shape is not documented anywhere public): the JSON keys as elements
 * under `<OpenConnectionResponse>` or `<Error>`.
 */
function answer(
  c: Context,
  status: 200 | 400 | 401 | 413,
  root: "OpenConnectionResponse" | "Error",
  fields: Record<string, string>,
): Response {
  if (acceptsJson(c.req.header("accept"))) return c.json(fields, status);
  const body = Object.entries(fields)
    .map(([key, value]) => `<${key}>${xmlEscape(value)}</${key}>`)
    .join("");
  return c.body(`<?xml version="1.0" encoding="UTF-8"?><${root}>${body}</${root}>`, status, {
    "content-type": "application/xml;charset=UTF-8",
  });
}

/** A new-API error answer: non-2xx status and `{code, message, requestid}`. */
function apiError(c: Context, status: 400 | 401 | 413, code: string, message: string): Response {
  return answer(c, status, "Error", { requestid: randomUUID().toUpperCase(), code, message });
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
    const read = await readCappedBody(c, MAX_BODY_BYTES).catch(() => undefined);
    if (!read) return apiError(c, 400, "invalidParameter", "the request body could not be read");
    if (!read.ok) return apiError(c, 413, "invalidParameter.body.tooLarge", "请求体过大");
    // Nesting is capped, so a hostile body is refused instead of exhausting the stack.
    const json = parseJson(new TextDecoder().decode(read.bytes));
    if (!json.ok) {
      const why = json.reason === "too-deep" ? "body is nested too deeply" : "body is not valid JSON";
      return apiError(c, 400, "invalidParameter", why);
    }
    const parsed = check(GatewayOpenRequestSchema, json.value);
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
    const record = ctx.tickets.issue({
      appKey: app.appKey,
      subscriptions: request.subscriptions,
      ua: request.ua ?? "",
    });
    return answer(c, 200, "OpenConnectionResponse", { endpoint: endpointFor(c), ticket: record.ticket });
  });
};
