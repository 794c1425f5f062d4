/**
 * Installs every app-API endpoint of the protocol's endpoint table on the emulator: reads parameters
 * (query, JSON or form body; Python-literal `msg` values), checks the token, validates strictly with the
 * endpoint's schema, runs the handler, and checks the answer against the response schema before sending
 * it, so the emulator cannot answer something the protocol does not describe.
 * @module
 */
import {
  ACCESS_TOKEN_HEADER,
  check,
  ENDPOINTS,
  type EndpointName,
  type EndpointRequest,
  type EndpointSpec,
  formatIssues,
  parseJson,
} from "dingbot-sdk/protocol";
import type { Context, Hono } from "hono";
import { readCappedBody } from "../../http/read-body.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import type { AppRecord } from "../store.js";
import { DingTalkRefusal, newRefusal, oldRefusal, requestId, topapiWrapped } from "./app-api-errors.js";
import type { EndpointHandlers, HandlerInput } from "./endpoint-handlers.js";
import { OAUTH_HANDLERS } from "./oauth.js";
import { ROBOT_API_HANDLERS } from "./robot-api.js";
import { TOPAPI_MESSAGE_HANDLERS } from "./topapi-messages.js";
import { TOPAPI_USER_HANDLERS } from "./topapi-users.js";

/** Largest request body the app routes read; DingTalk's own limits are far lower (5000 userids ≈ 60 KB). */
const MAX_BODY_BYTES = 1_000_000;

/** Every endpoint's handler: the type makes a missing one a compile error (see endpoint-handlers.ts). */
const HANDLERS: EndpointHandlers = {
  ...OAUTH_HANDLERS,
  ...TOPAPI_USER_HANDLERS,
  ...TOPAPI_MESSAGE_HANDLERS,
  ...ROBOT_API_HANDLERS,
};

/**
 * The app-API routes, then the catch-alls: unknown topapi ApiName → errcode 22, unknown `/v1.0/` path →
 * 404 InvalidAction.NotFound. Installed last, so every other module's `/v1.0/` routes match first.
 */
export const installAppApi: RouteInstaller = (app: Hono, ctx: EmulatorContext) => {
  for (const name of Object.keys(ENDPOINTS) as EndpointName[]) {
    const spec: EndpointSpec = ENDPOINTS[name];
    app.all(spec.path, async (c) => {
      try {
        return await serve(name, spec, c, ctx);
      } catch (error) {
        if (error instanceof DingTalkRefusal) return refuse(c, ctx, spec, error);
        throw error;
      }
    });
  }
  app.all("/topapi/*", (c) => {
    const refusal = oldRefusal(22, `不合法ApiName: ${c.req.path}`, "path", true);
    return refuse(c, ctx, { path: c.req.path }, refusal);
  });
  app.all("/v1.0/*", (c) => {
    const message = "Specified api is not found, please check your url and method.";
    return refuse(c, ctx, { path: c.req.path }, newRefusal(404, "InvalidAction.NotFound", message, "path"));
  });
};

async function serve(
  name: EndpointName,
  spec: EndpointSpec,
  c: Context,
  ctx: EmulatorContext,
): Promise<Response> {
  const topapi = spec.path.startsWith("/topapi/");
  if (spec.method === "POST" && c.req.method !== "POST") {
    throw spec.host === "oapi"
      ? oldRefusal(43002, "需要POST请求", "method", topapi)
      : newRefusal(
          404,
          "InvalidAction.NotFound",
          "Specified api is not found, please check your url and method.",
          "method",
        );
  }
  const now = ctx.options.now();
  const query = Object.fromEntries(new URL(c.req.url).searchParams);
  const app = spec.auth === "none" ? undefined : authenticate(spec, c, ctx, query, now);
  const { access_token: _token, ...queryParams } = query;
  const params =
    spec.params === "query"
      ? queryParams
      : { ...(spec.host === "oapi" ? queryParams : {}), ...(await readBody(c, spec)) };
  const checked = check(spec.request, params);
  if (!checked.ok) {
    const detail = formatIssues(checked.issues);
    throw spec.host === "oapi"
      ? oldRefusal(40035, `缺少参数或参数不合法: ${detail}`, "params", topapi)
      : newRefusal(400, "invalidParameter.param.invalid", `参数错误: ${detail}`, "params");
  }
  const handler = HANDLERS[name] as (input: HandlerInput<EndpointName>) => unknown;
  const answer = handler({ args: checked.value as EndpointRequest<EndpointName>, app, ctx, now });
  return answerChecked(c, name, spec.response, answer);
}

/**
 * Sends a handler's answer after checking it against the endpoint's response schema; an answer that fails it
 * is an emulator bug, not the caller's: said loudly (500) instead of sending a body DingTalk never sends.
 */
export function answerChecked(
  c: Context,
  name: string,
  schema: Parameters<typeof check>[0],
  answer: unknown,
): Response {
  const valid = check(schema, answer);
  if (!valid.ok) {
    return c.json(
      { error: `emulator produced an invalid ${name} answer: ${formatIssues(valid.issues)}` },
      500,
    );
  }
  return c.json(answer as Record<string, unknown>);
}

/** Checks the token where the endpoint expects it and returns its app. */
function authenticate(
  spec: EndpointSpec,
  c: Context,
  ctx: EmulatorContext,
  query: Record<string, string>,
  now: number,
): AppRecord {
  const topapi = spec.path.startsWith("/topapi/");
  const token = spec.auth === "header" ? c.req.header(ACCESS_TOKEN_HEADER) : query.access_token;
  const result = ctx.appApi.tokens.verify(token, now);
  const app = result.ok ? ctx.store.apps.get(result.record.appKey) : undefined;
  if (result.ok && app) return app;
  const problem = result.ok ? "unknown" : result.problem;
  if (spec.auth === "header") {
    throw problem === "missing"
      ? newRefusal(
          400,
          "AuthenticationFailed.MissingParameter",
          "缺少参数 x-acs-dingtalk-access-token",
          "token",
        )
      : newRefusal(400, "InvalidAuthentication", "不合法的access_token", "token");
  }
  if (problem === "missing") {
    throw topapi
      ? topapiWrapped("40000", "access_token is blank", "token")
      : oldRefusal(41001, "缺少access_token参数", "token");
  }
  throw topapi
    ? topapiWrapped("40014", "不合法的access_token", "token")
    : oldRefusal(40014, "不合法的access_token", "token");
}

/** Reads a body as JSON or as a form; the new API takes JSON only. */
async function readBody(c: Context, spec: EndpointSpec): Promise<Record<string, unknown>> {
  // Capped while reading: a chunked upload without content-length must not fill memory either.
  const read = await readCappedBody(c, MAX_BODY_BYTES).catch(() => undefined);
  if (!read) throw newRefusal(400, "InvalidParameter", "the request body could not be read", "body");
  if (!read.ok) {
    throw spec.host === "oapi"
      ? oldRefusal(40035, `请求体过大 (> ${MAX_BODY_BYTES} bytes)`, "body", spec.path.startsWith("/topapi/"))
      : newRefusal(400, "invalidParameter.param.invalid", `body larger than ${MAX_BODY_BYTES} bytes`, "body");
  }
  const text = new TextDecoder().decode(read.bytes);
  if (text.trim() === "") return {};
  const type = c.req.header("content-type") ?? "";
  const isForm = type.includes("application/x-www-form-urlencoded");
  if (!isForm) {
    // Not JSON: urllib sends forms without always saying so; fall through to the form reading. Too deeply
    // nested JSON is refused outright: stored (a message body), it would break every later JSON answer.
    const parsed = parseJson(text);
    if (!parsed.ok && parsed.reason === "too-deep") {
      throw spec.host === "oapi"
        ? oldRefusal(
            40035,
            `缺少参数或参数不合法: ${parsed.message}`,
            "body",
            spec.path.startsWith("/topapi/"),
          )
        : newRefusal(400, "invalidParameter.param.invalid", `参数错误: ${parsed.message}`, "body");
    }
    const value = parsed.ok ? parsed.value : undefined;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  }
  if (spec.host === "api")
    throw newRefusal(400, "InvalidParameter", "body is mandatory for this action", "body");
  return Object.fromEntries(new URLSearchParams(text));
}

function refuse(
  c: Context,
  ctx: EmulatorContext,
  spec: Pick<EndpointSpec, "path">,
  refusal: DingTalkRefusal,
): Response {
  const body = refusal.body;
  ctx.store.recordRejection({
    endpoint: `${c.req.method} ${spec.path}`,
    errcode: (body.errcode as number | undefined) ?? (body.code as string | undefined) ?? refusal.status,
    errmsg: String(body.sub_msg ?? body.errmsg ?? body.message ?? ""),
    reason: refusal.reason,
  });
  if (body.request_id === undefined && body.errcode !== undefined && spec.path.startsWith("/topapi/")) {
    body.request_id = requestId();
  }
  return c.json(body, refusal.status as 200);
}
