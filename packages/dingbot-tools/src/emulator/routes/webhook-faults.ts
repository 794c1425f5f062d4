/**
 * Applies an injected fault (see ../faults.ts) to a robot message request before it is handled.
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "hono";
import { incomingOf } from "../../http/incoming.js";
import type { EmulatorContext } from "../context.js";

/**
 * Takes the fault that hits this request, if any, and acts it out.
 * @param c - the request
 * @param ctx - the emulator
 * @param accessToken - the robot's token (undefined for sessionWebhook requests: only global faults hit)
 * @param endpoint - method and path, for the rejection record
 * @returns the answer to send instead of handling the request, or undefined to carry on (no fault, or a
 *   delay that has elapsed)
 */
export async function applyFault(
  c: Context,
  ctx: EmulatorContext,
  accessToken: string | undefined,
  endpoint: string,
): Promise<Response | undefined> {
  const fault = ctx.webhook.faults.take(accessToken);
  if (!fault) return undefined;
  const record = (errcode: number | undefined, errmsg: string) =>
    ctx.store.recordRejection({
      endpoint,
      ...(accessToken ? { subject: ctx.store.robots.get(accessToken)?.name ?? "unknown robot" } : {}),
      ...(errcode !== undefined ? { errcode } : {}),
      errmsg,
      reason: "fault",
    });
  switch (fault.kind) {
    case "delay":
      await sleep(fault.delayMs ?? 0);
      return undefined;
    case "http5xx": {
      const status = fault.status ?? 503;
      record(undefined, `emulated HTTP ${status}`);
      return new Response(`emulated fault: HTTP ${status}`, {
        status,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    case "errcode":
      record(fault.errcode, fault.errmsg ?? "emulated fault");
      return c.json({ errcode: fault.errcode, errmsg: fault.errmsg });
    case "reset": {
      record(undefined, "emulated connection reset");
      const socket = incomingOf(c)?.socket;
      if (socket) {
        // Destroying the socket drops the connection with no answer at all, as a crashed proxy would.
        socket.destroy();
        return new Response(null, { status: 204 });
      }
      // app.request() has no socket to drop; the closest thing is a gateway error.
      return new Response("emulated fault: connection reset (no socket under app.request)", { status: 502 });
    }
  }
}
