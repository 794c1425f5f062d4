/**
 * The relay's webhook POSTs straight from node:http. Ingest is what senders load (an alert storm), and the
 * Fetch `Request`, `Response` and URL that @hono/node-server builds for the Hono route cost about as much as
 * the durable commit (bench/RESULTS.md, issue 15 follow-up). The handler is the Hono route's own
 * (webhook.ts); this module only decides which requests it may take and writes the answer the way
 * @hono/node-server writes the Hono route's `Response` (same status, headers and body bytes).
 *
 * Everything it is not sure about is left to Hono untouched: another method, a request target other than the
 * configured path itself (a query, an absolute form), a path Hono would normalise, and a Host header that
 * @hono/node-server would parse with `new URL()` or refuse.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "dingbot-sdk";
import { drainAfterAnswer, type FastRoute, isPlainHost, writeWithLength } from "../http/fast-routes.js";
import { readIncomingBody } from "../http/read-body.js";
import { type HeaderReader, nodeHeaderReader } from "./guard.js";
import type { WebhookAnswer, WebhookHandler, WebhookRequest } from "./webhook.js";

/**
 * A configured path @hono/node-server passes to the router as it came: segments of unreserved characters,
 * none of them empty, `.` or `..` (config-schema.ts already limits paths to these characters).
 */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~-]+)+$/;

/** The two header forms of the Hono route's answers, as writeHead's flat `[name, value]` lists. */
const JSON_HEADERS = ["Content-Type", "application/json"];
const REFUSAL_HEADERS = ["content-type", "application/json"];

/** A webhook request as node:http delivered it (methods, not closures: tsx names each closure it meets). */
class NodeWebhookRequest implements WebhookRequest {
  readonly header: HeaderReader;

  constructor(private readonly req: IncomingMessage) {
    // As the Hono route reads them (app.ts), so both see the same values.
    this.header = nodeHeaderReader(req.headers);
  }

  readBody(limit: number) {
    return readIncomingBody(this.req, limit);
  }

  socket() {
    return this.req.socket;
  }
}

/**
 * The fast route of the relay's webhook paths.
 * @param handlers - each configured path's handler
 * @param logger - where a handler's unexpected error goes (as the Hono app's onError logs it)
 */
export function webhookFastRoute(handlers: ReadonlyMap<string, WebhookHandler>, logger: Logger): FastRoute {
  const plain = new Map([...handlers].filter(([path]) => PLAIN_PATH.test(path)));
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url;
    if (url === undefined) return false;
    const handle = plain.get(url);
    if (handle === undefined) return false;
    if (!isPlainHost(req.headers.host)) return false;
    void answer(req, res, handle, logger);
    return true;
  };
}

/** Runs the handler and writes its answer (an async function rather than closures per request). */
async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  handle: WebhookHandler,
  logger: Logger,
): Promise<void> {
  let result: WebhookAnswer;
  try {
    result = await handle(new NodeWebhookRequest(req));
  } catch (error) {
    // The Hono app's onError: logged, and a 500 with a JSON reason.
    logger.error({ err: (error as Error).message }, "unexpected error");
    if (res.headersSent) res.destroy();
    else
      writeWithLength(res, 500, JSON_HEADERS, JSON.stringify({ status: "error", reason: "internal error" }));
    drainAfterAnswer(req, res);
    return;
  }
  const headers = !result.refused
    ? JSON_HEADERS
    : result.wwwAuthenticate
      ? [...REFUSAL_HEADERS, "www-authenticate", result.wwwAuthenticate]
      : REFUSAL_HEADERS;
  writeWithLength(res, result.status, headers, result.body);
  drainAfterAnswer(req, res);
}
