/**
 * The Stream gateway call (`POST /v1.0/gateway/connections/open`, protocol 3.1), with DingTalk's
 * answers mapped to errors that say whether retrying can help.
 * @module
 */

import { ApiError, AuthError, HttpError, RequestError, StreamConnectError } from "../../../errors.js";
import { check, GATEWAY_OPEN_PATH, GatewayOpenResponseSchema } from "../../../protocol/index.js";

/** What the gateway needs. */
export interface GatewayRequest {
  fetch: typeof fetch;
  /** Base of the new API, e.g. https://api.dingtalk.com or the emulator. */
  apiBase: string;
  clientId: string;
  clientSecret: string;
  subscriptions: Array<{ type: "EVENT" | "CALLBACK" | "SYSTEM"; topic: string }>;
  ua: string;
  signal: AbortSignal;
}

/** A ticket and where to use it. */
export interface GatewayTicket {
  endpoint: string;
  ticket: string;
}

const ENDPOINT = `POST ${GATEWAY_OPEN_PATH}`;

/**
 * Opens a Stream connection slot.
 * @throws AuthError (401/403: wrong clientId/clientSecret; not retryable)
 * @throws StreamConnectError (400: the request itself is wrong; not retryable)
 * @throws HttpError, ApiError or RequestError (5xx, network; retryable)
 */
export async function openGateway(request: GatewayRequest): Promise<GatewayTicket> {
  let response: Response;
  try {
    response = await request.fetch(`${request.apiBase}${GATEWAY_OPEN_PATH}`, {
      method: "POST",
      // Without Accept the real gateway answers XML (noted in the official SDK).
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        clientId: request.clientId,
        clientSecret: request.clientSecret,
        subscriptions: request.subscriptions,
        ua: request.ua,
      }),
      signal: request.signal,
    });
  } catch (error) {
    throw new RequestError(ENDPOINT, "the gateway could not be reached", {
      cause: error,
      aborted: request.signal.aborted,
    });
  }
  const text = await response.text().catch(() => "");
  const body = parseJson(text);
  if (response.ok) {
    const parsed = check(GatewayOpenResponseSchema, body);
    if (parsed.ok) return parsed.value;
    throw new HttpError(response.status, ENDPOINT, "answer without endpoint and ticket");
  }
  const apiBody = asApiError(body);
  if (!apiBody) throw new HttpError(response.status, ENDPOINT, text.slice(0, 200));
  const details = {
    status: response.status,
    apiCode: apiBody.code,
    errmsg: apiBody.message,
    endpoint: ENDPOINT,
    ...(apiBody.requestid ? { requestId: apiBody.requestid } : {}),
  };
  if (response.status === 401 || response.status === 403) {
    throw new AuthError({
      ...details,
      kind: "config",
      hint: "Check clientId (appKey) and clientSecret (appSecret) of the app",
    });
  }
  if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    throw new StreamConnectError(`${ENDPOINT} was refused with ${apiBody.code}: ${apiBody.message}`, {
      cause: new ApiError({ ...details, kind: "config" }),
    });
  }
  throw new ApiError({ ...details, kind: response.status === 429 ? "rate-limit" : "transient" });
}

/** Whether an error from {@link openGateway} means "stop": retrying cannot fix it. */
export function isUnrecoverable(error: unknown): boolean {
  return error instanceof AuthError || error instanceof StreamConnectError;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asApiError(body: unknown): { code: string; message: string; requestid?: string } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { code, message, requestid } = body as Record<string, unknown>;
  if (typeof code !== "string") return undefined;
  return {
    code,
    message: typeof message === "string" ? message : "",
    ...(typeof requestid === "string" ? { requestid } : {}),
  };
}
