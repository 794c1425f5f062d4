/**
 * The one place the client calls fetch: a timeout, JSON parsing, and failures turned into typed errors
 * whose messages never contain a URL's secrets.
 * @module
 */
import { HttpError, RequestError } from "../errors.js";
import { redactText } from "../redact.js";

/** One JSON request. */
export interface JsonRequest {
  method: "GET" | "POST";
  /** Full URL; it may carry secrets, which never reach an error message. */
  url: string;
  /** Request body, already serialised. */
  body?: string;
  headers?: Record<string, string>;
  /** Gives up after this many ms (RequestError). */
  timeoutMs: number;
  /** Caller's cancellation. */
  signal?: AbortSignal;
  /** Names the call in errors, without host or query (e.g. `POST /robot/send`). */
  endpoint: string;
  /** Literal secrets to mask in any text that makes it into an error (tokens, secrets). */
  secrets?: readonly (string | undefined)[];
}

/** An answer that arrived: its status and parsed JSON body. */
export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * Sends one request and parses the JSON answer.
 * Non-2xx answers whose body is JSON are returned (DingTalk's new API puts its error there);
 * non-JSON answers become {@link HttpError}; no answer at all becomes {@link RequestError}.
 * @param fetchFn - the fetch to use (injectable)
 * @param request - what to send
 */
export async function requestJson(fetchFn: typeof fetch, request: JsonRequest): Promise<JsonResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const clean = (text: string): string => redactText(text, request.secrets ?? []);
  let response: Response;
  let text: string;
  try {
    response = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
    });
    text = await response.text();
  } catch (error) {
    const aborted = request.signal?.aborted === true;
    const reason = timeout.aborted
      ? `no answer within ${request.timeoutMs} ms`
      : aborted
        ? "aborted"
        : describeNetworkError(error);
    throw new RequestError(request.endpoint, clean(reason), { cause: error, aborted });
  }
  if (text.length === 0 && response.status >= 200 && response.status < 300) {
    throw new HttpError(response.status, request.endpoint, "empty answer where JSON was expected");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(
      response.status,
      request.endpoint,
      clean(`answer is not JSON: ${text.slice(0, 200)}`),
    );
  }
  return { status: response.status, body };
}

/** fetch says only "fetch failed"; the useful part (ECONNREFUSED 127.0.0.1:1) is in its cause. */
function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    parts.push(
      typeof code === "string" && !current.message.includes(code)
        ? `${current.message} (${code})`
        : current.message,
    );
    current = current.cause;
  }
  return parts.length > 0 ? `network error: ${parts.join(": ")}` : `network error: ${String(error)}`;
}
