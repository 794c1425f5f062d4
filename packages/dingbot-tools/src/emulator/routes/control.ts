/**
 * Control API, part one: custom robots, the message log, rejections and reset, as JSON under
 * `/_emulator/`. Tokens and secrets appear here on purpose: they are the emulator's own test values.
 * @module
 */
import type { Context } from "hono";
import type { RouteInstaller } from "../context.js";
import type { EmulatorStore, MessageRecord, RobotRecord } from "../store.js";
import { control, originOf, readControlJson } from "./control-http.js";
import { ControlError, robotInput } from "./control-input.js";
import { serialisableMessage } from "./events.js";

/** A robot as the control API shows it: the record plus its webhook URL at this emulator. */
export type RobotView = RobotRecord & { webhook: string };

/**
 * Adds the webhook URL a client would copy from the group settings.
 * @param robot - the robot
 * @param origin - the emulator's origin as the client reached it
 */
export function robotView(robot: RobotRecord, origin: string): RobotView {
  return { ...robot, webhook: `${origin}/robot/send?access_token=${encodeURIComponent(robot.accessToken)}` };
}

/** A message as `GET /_emulator/messages` shows it: the record plus, for webhook messages, its robot. */
export type MessageView = MessageRecord & { robot?: { name: string; accessToken: string } };

/** Installs `/_emulator/robots`, `/_emulator/messages`, `/_emulator/rejections` and `/_emulator/reset`. */
export const installControl: RouteInstaller = (app, ctx) => {
  const { store } = ctx;
  app.post(
    "/_emulator/robots",
    control(async (c) => {
      const robot = store.createRobot(robotInput(await readControlJson(c), store));
      return c.json(robotView(robot, originOf(c)), 201);
    }),
  );
  app.get(
    "/_emulator/robots",
    control((c) => c.json([...store.robots.values()].map((robot) => robotView(robot, originOf(c))))),
  );
  app.get(
    "/_emulator/robots/:accessToken",
    control((c) => {
      const robot = store.robots.get(c.req.param("accessToken") ?? "");
      if (!robot) throw new ControlError(404, "no robot with this accessToken");
      return c.json(robotView(robot, originOf(c)));
    }),
  );
  app.get(
    "/_emulator/messages",
    control((c) => {
      const messages = listMessages(c, store);
      try {
        return c.json(messages);
      } catch {
        // A message too deeply nested to stringify (recorded before bodies were capped, or by a path
        // that does not cap them) must not take the whole list down.
        return c.json(messages.map(serialisableMessage));
      }
    }),
  );
  app.get(
    "/_emulator/rejections",
    control((c) => {
      const since = parseSince(c.req.query("since"));
      return c.json(store.rejections.filter((r) => since === undefined || r.time >= since));
    }),
  );
  app.post(
    "/_emulator/reset",
    control((c) => {
      store.reset();
      return c.json({ ok: true });
    }),
  );
};

function listMessages(c: Context, store: EmulatorStore): MessageView[] {
  const accessToken = c.req.query("accessToken") || undefined;
  const conversationId = c.req.query("conversationId") || undefined;
  const since = parseSince(c.req.query("since"));
  const messages = store.listMessages({
    ...(accessToken !== undefined ? { accessToken } : {}),
    ...(conversationId !== undefined ? { conversationId } : {}),
    ...(since !== undefined ? { since } : {}),
  });
  return messages.map((m) => {
    const robot = m.accessToken ? store.robots.get(m.accessToken) : undefined;
    return robot ? { ...m, robot: { name: robot.name, accessToken: robot.accessToken } } : m;
  });
}

/** `since` as epoch ms or an ISO date; 400 otherwise. */
function parseSince(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new ControlError(400, "since must be epoch milliseconds or an ISO date");
  return parsed;
}
