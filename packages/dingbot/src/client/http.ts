/**
 * The one place the client makes HTTP requests: a timeout, JSON parsing, and failures turned into typed
 * errors whose messages never contain a URL's secrets.
 *
 * Without an injected fetch it uses node:http/https with keep-alive agents: on Node 20 the global fetch
 * (undici behind WHATWG streams) costs about 4× more CPU per small request (bench/RESULTS.md, issue 3).
 * @module
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { pipeline, Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { HttpError, RequestError } from "../errors.js";

/** One JSON request. */
export interface JsonRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Full URL; it may carry secrets, which never reach an error message. */
  url: string;
  /**
   * Request body, already serialised. A multipart upload is a `Blob` (see client/media.ts): it is streamed,
   * never copied into one buffer (a file-backed Blob is read from disk as it is sent), and each attempt
   * reads it again from the start, so a retry resends the whole body.
   */
  body?: string | Blob;
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

/** Status and raw text of an answer. */
interface RawAnswer {
  status: number;
  text: string;
}

// Idle sockets are unref'd by the agent, so they never keep a process alive.
const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/**
 * How the node:http(s) path is stopped early: the timeout and the caller's signal destroy the request in
 * flight. It replaces passing an AbortSignal to `http.request`, which cost an AbortController, Node's
 * `addAbortSignal` and a listener per request: about a tenth of a relay's CPU per message in a fan-out to
 * 500 robots (bench/RESULTS.md, issue 15.4).
 */
interface Cancel {
  /** Set once cancelled: an attempt not yet started then fails at once. */
  reason: Error | undefined;
  /** Destroys the request in flight (set by each attempt). */
  current: ((reason: Error) => void) | undefined;
}

function cancel(handle: Cancel, reason: Error): void {
  if (handle.reason) return;
  handle.reason = reason;
  handle.current?.(reason);
}

/** One attempt over node:http(s). */
function nodeAttempt(request: JsonRequest, handle: Cancel): Promise<RawAnswer & { reused: boolean }> {
  const https = request.url.startsWith("https:");
  const headers: Record<string, string | number> = { ...request.headers };
  const { body } = request;
  if (body !== undefined) {
    headers["content-length"] = typeof body === "string" ? Buffer.byteLength(body) : body.size;
  }
  return new Promise((resolve, reject) => {
    if (handle.reason) {
      reject(handle.reason);
      return;
    }
    const req = (https ? httpsRequest : httpRequest)(
      request.url,
      { method: request.method, headers, agent: https ? httpsAgent : httpAgent },
      (res: IncomingMessage) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, reused: req.reusedSocket }));
        // Destroyed mid-answer (timeout, abort, reset): the answer ends with an error, not an end.
        res.on("error", reject);
      },
    );
    // Destroying the request also ends its socket and, for a Blob, the pipeline reading it; "error" follows.
    handle.current = (reason) => req.destroy(reason);
    req.on("error", (error) => reject(Object.assign(error, { reused: req.reusedSocket })));
    if (typeof body === "string" || body === undefined) {
      req.end(body);
      return;
    }
    // Piped with backpressure: a chunk or two of the Blob is in memory at a time. Either side failing (a
    // file-backed Blob whose file changed, a reset socket, an abort) destroys both, and the request's
    // "error" above rejects; the callback has nothing left to do.
    pipeline(Readable.fromWeb(body.stream() as NodeReadableStream<Uint8Array>), req, () => {});
  });
}

/**
 * node:http(s) with keep-alive. A kept-alive socket that the server closed just as we reused it fails with
 * ECONNRESET before the server read anything; Node's documentation says to retry exactly that case once.
 */
async function viaNode(request: JsonRequest, handle: Cancel): Promise<RawAnswer> {
  try {
    return await nodeAttempt(request, handle);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { reused?: boolean };
    if (e.reused && e.code === "ECONNRESET" && !handle.reason) return nodeAttempt(request, handle);
    throw error;
  }
}

async function viaFetch(
  fetchFn: typeof fetch,
  request: JsonRequest,
  signal: AbortSignal,
): Promise<RawAnswer> {
  const response = await fetchFn(request.url, {
    method: request.method,
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal,
  });
  return { status: response.status, text: await response.text() };
}

/**
 * Sends one request and parses the JSON answer.
 * Non-2xx answers whose body is JSON are returned (DingTalk's new API puts its error there);
 * non-JSON answers become {@link HttpError}; no answer at all becomes {@link RequestError}.
 * @param fetchFn - a fetch to use instead of node:http(s) (tests, proxies, other runtimes)
 * @param request - what to send
 */
export async function requestJson(
  fetchFn: typeof fetch | undefined,
  request: JsonRequest,
): Promise<JsonResponse> {
  // A plain timer, cleared at once: cheaper than AbortSignal.timeout/any on Node 20. fetch needs a signal;
  // node:http is stopped by destroying its request, without one.
  const controller = fetchFn ? new AbortController() : undefined;
  const handle: Cancel = { reason: undefined, current: undefined };
  const stop = (reason: Error): void => {
    if (controller) controller.abort(reason);
    else cancel(handle, reason);
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop(new Error(`no answer within ${request.timeoutMs} ms`));
  }, request.timeoutMs);
  const onAbort = (): void => {
    const reason: unknown = request.signal?.reason;
    if (controller) controller.abort(reason);
    else cancel(handle, reason instanceof Error ? reason : new Error("aborted", { cause: reason }));
  };
  if (request.signal?.aborted) onAbort();
  else request.signal?.addEventListener("abort", onAbort, { once: true });
  // The error classes redact their text with these.
  const secrets = request.secrets ?? [];
  let response: RawAnswer;
  try {
    response = controller
      ? await viaFetch(fetchFn as typeof fetch, request, controller.signal)
      : await viaNode(request, handle);
  } catch (error) {
    const aborted = request.signal?.aborted === true;
    const reason = timedOut
      ? `no answer within ${request.timeoutMs} ms`
      : aborted
        ? "aborted"
        : describeNetworkError(error);
    throw new RequestError(request.endpoint, reason, { cause: error, aborted, secrets });
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener("abort", onAbort);
  }
  const { text } = response;
  if (text.length === 0 && response.status >= 200 && response.status < 300) {
    throw new HttpError(response.status, request.endpoint, "empty answer where JSON was expected");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(response.status, request.endpoint, `answer is not JSON: ${text.slice(0, 200)}`, {
      secrets,
    });
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
