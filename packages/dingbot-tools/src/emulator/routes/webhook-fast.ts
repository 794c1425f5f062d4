/**
 * `POST /robot/send` straight from node:http, for the emulator as a load target: users point their own load
 * tests at it, and building Hono's Fetch `Request`, its URL and the `Response` cost more than every check
 * of the route together (bench/RESULTS.md, issue 15). The checks are the Hono route's own (`robot-send.ts`);
 * this module only decides which requests it may take and writes the answer the way @hono/node-server would
 * write `c.json(answer)` (same status, headers and body bytes).
 *
 * Everything it is not sure about is left to the Hono route untouched: another method or path form, a Host
 * header or query that @hono/node-server would normalise or refuse, a repeated Content-Type header (Hono joins
 * the copies, node:http keeps the first), and every request while a webhook fault is injected (faults are
 * acted out in one place).
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ROBOT_SEND_PATH } from "dingbot-sdk/protocol";
import { drainAfterAnswer, type FastRoute, isPlainHost, writeWithLength } from "../../http/fast-routes.js";
import { type QueryParams, readQueryParams } from "../../http/query-params.js";
import { type BodyRead, readIncomingBody } from "../../http/read-body.js";
import type { EmulatorContext } from "../context.js";
import { OK_ANSWER, OK_TEXT, type RobotSendRequest, robotSend } from "./robot-send.js";
import type { WebhookAnswer } from "./webhook-request.js";

const PREFIX = `${ROBOT_SEND_PATH}?`;

/**
 * A query whose parameters `readQueryParams(query)` reads exactly as `new URL(url).searchParams` does:
 * printable ASCII without `#` (which would start a fragment). `new URL()` percent-encodes some of these
 * characters, and its searchParams decode them back to the same values.
 */
const PLAIN_QUERY = /^[!-"$-~]*$/;

/** The answer's own header, as writeHead's flat `[name, value]` list (node:http adds the others). */
const JSON_HEADERS = ["Content-Type", "application/json"];
const OK_LENGTH = Buffer.byteLength(OK_TEXT);

/** A `/robot/send` request as node:http delivered it. */
class NodeSendRequest implements RobotSendRequest {
  readonly method = "POST";

  constructor(
    private readonly req: IncomingMessage,
    readonly query: QueryParams,
    readonly contentType: string | undefined,
  ) {}

  clientAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  readBody(limit: number): Promise<BodyRead> {
    return readIncomingBody(this.req, limit);
  }
}

/**
 * The fast route of `POST /robot/send`.
 * @param ctx - the emulator
 */
export function robotSendFastRoute(ctx: EmulatorContext): FastRoute {
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url;
    if (url === undefined || !url.startsWith(PREFIX)) return false;
    if (!isPlainHost(req.headers.host)) return false;
    const query = url.slice(PREFIX.length);
    if (!PLAIN_QUERY.test(query)) return false;
    const contentType = singleContentType(req);
    if (contentType === null) return false;
    if (ctx.webhook.faults.hasRobotFaults()) return false;
    void answer(req, res, new NodeSendRequest(req, readQueryParams(query), contentType), ctx);
    return true;
  };
}

/** Runs the route and writes its answer (an async function rather than two closures per request). */
async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  request: NodeSendRequest,
  ctx: EmulatorContext,
): Promise<void> {
  let result: WebhookAnswer;
  try {
    result = await robotSend(request, ctx);
  } catch (error) {
    writeInternalError(req, res, error, ctx.options.log);
    return;
  }
  writeAnswer(req, res, result);
}

/**
 * The request's Content-Type as the Hono route would read it, or null when it was sent more than once (Hono
 * joins the copies, node:http keeps only the first).
 */
function singleContentType(req: IncomingMessage): string | undefined | null {
  const raw = req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 12 && name.toLowerCase() === "content-type") count += 1;
  }
  return count > 1 ? null : req.headers["content-type"];
}

/**
 * Writes DingTalk's answer as @hono/node-server writes `c.json(answer)`: status 200, Content-Type
 * `application/json`, then the Date, Connection and Content-Length node:http adds.
 */
function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: WebhookAnswer): void {
  const text = answer === OK_ANSWER ? OK_TEXT : JSON.stringify(answer);
  writeWithLength(res, 200, JSON_HEADERS, text, text === OK_TEXT ? OK_LENGTH : Buffer.byteLength(text));
  drainAfterAnswer(req, res);
}

/**
 * What Hono answers when a handler throws: 500, `Internal Server Error` as text. The error goes to the
 * emulator's log (Hono would print it to the console).
 */
function writeInternalError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  log: (line: string) => void,
): void {
  log(`POST /robot/send failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (!res.headersSent) {
    res.statusCode = 500;
    res.setHeader("Content-Type", "text/plain; charset=UTF-8");
    res.end("Internal Server Error");
  } else {
    res.destroy();
  }
  drainAfterAnswer(req, res);
}
