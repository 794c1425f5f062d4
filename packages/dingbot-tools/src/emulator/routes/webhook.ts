/**
 * `POST /robot/send?access_token=…[&timestamp=…&sign=…]`: the group custom robot (protocol section 1), as a
 * Hono route. Always HTTP 200 with `errcode`/`errmsg` (unless a fault was injected); the checks themselves
 * live in `robot-send.ts`, shared with the node:http fast route of `webhook-fast.ts`, which leaves every
 * request it is not sure about to this route.
 * @module
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import { ROBOT_SEND_PATH, webhookToken } from "dingbot-sdk/protocol";
import type { Context } from "hono";
import { readCappedBody } from "../../http/read-body.js";
import type { EmulatorContext, RouteInstaller } from "../context.js";
import { RATE_LIMIT_ERRMSGS } from "../webhook-errmsgs.js";
import { type RobotSendRequest, robotSend } from "./robot-send.js";
import { applyFault } from "./webhook-faults.js";

export { robotSenderId } from "./robot-send.js";

/** The errmsg DingTalk answers when a robot is throttled with errcode 410100 (the default). */
export const RATE_LIMIT_ERRMSG = RATE_LIMIT_ERRMSGS[410100];

/** Installs `/robot/send`. */
export const installWebhook: RouteInstaller = (app, ctx) => {
  app.all(ROBOT_SEND_PATH, (c) => handleSend(c, ctx));
};

/**
 * The client's address from the socket; undefined under `app.request()` unless the caller passes
 * `{ incoming: { socket: { remoteAddress } } }` as the env.
 */
export function clientAddress(c: Context): string | undefined {
  // Without a socket (app.request() with no env) getConnInfo would throw; exceptions are slow on a hot path.
  const env = c.env as
    | { incoming?: { socket?: unknown }; server?: { incoming?: { socket?: unknown } } }
    | undefined;
  if (!env?.incoming?.socket && !env?.server?.incoming?.socket) return undefined;
  return getConnInfo(c).remote.address;
}

/** A `/robot/send` request as the Hono route sees it. */
class HonoSendRequest implements RobotSendRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;

  constructor(
    private readonly c: Context,
    query: URLSearchParams,
  ) {
    this.method = c.req.method;
    this.query = query;
    this.contentType = c.req.header("content-type");
  }

  clientAddress(): string | undefined {
    return clientAddress(this.c);
  }

  readBody(limit: number) {
    return readCappedBody(this.c, limit);
  }
}

async function handleSend(c: Context, ctx: EmulatorContext): Promise<Response> {
  // URLSearchParams decodes exactly once with form rules ('+' is a space), which is how quote_plus encodes.
  const query = new URL(c.req.url).searchParams;
  const faulted = await applyFault(c, ctx, webhookToken(query), `${c.req.method} ${ROBOT_SEND_PATH}`);
  if (faulted) return faulted;
  return c.json(await robotSend(new HonoSendRequest(c, query), ctx));
}
