/**
 * Control API of Stream mode: list connections, end them politely or rudely, push an EVENT or a raw
 * robot-message CALLBACK.
 * @module
 */
import type { RouteInstaller } from "../context.js";
import type { DisconnectHow } from "../stream/hub.js";
import { control, readControlJson } from "./control-http.js";
import { asObject, ControlError, optionalString } from "./control-input.js";

const HOWS: readonly DisconnectHow[] = ["frame", "drop", "silence"];

/** A required non-empty string field. */
function requiredString(o: Record<string, unknown>, key: string): string {
  const value = optionalString(o, key);
  if (value === undefined) throw new ControlError(400, `${key} is required`);
  return value;
}

/** Installs `/_emulator/stream/*`. */
export const installStreamControl: RouteInstaller = (app, ctx) => {
  const hub = () => {
    const server = ctx.stream;
    // Only a listening emulator has sockets; app.request() alone has none to act on.
    if (!server) throw new ControlError(404, "the stream server runs only while the emulator listens");
    return server;
  };
  app.get(
    "/_emulator/stream/connections",
    control((c) => c.json(ctx.stream?.listConnections(c.req.query("appKey") || undefined) ?? [])),
  );
  app.post(
    "/_emulator/stream/disconnect",
    control(async (c) => {
      const body = asObject(await readControlJson(c));
      const appKey = requiredString(body, "appKey");
      const how = (optionalString(body, "how") ?? "frame") as DisconnectHow;
      if (!HOWS.includes(how)) throw new ControlError(400, `how must be one of ${HOWS.join(", ")}`);
      const connectionId = optionalString(body, "connectionId");
      const affected = hub().disconnect(appKey, how, connectionId);
      return c.json({ ok: true, affected });
    }),
  );
  app.post(
    "/_emulator/stream/events",
    control(async (c) => {
      const body = asObject(await readControlJson(c));
      const appKey = requiredString(body, "appKey");
      const eventType = requiredString(body, "eventType");
      const data = body.data === undefined ? {} : asObject(body.data, "data");
      return c.json(await hub().pushEvent(appKey, { eventType, data }));
    }),
  );
  app.post(
    "/_emulator/stream/callbacks",
    control(async (c) => {
      const body = asObject(await readControlJson(c));
      const appKey = requiredString(body, "appKey");
      if (!ctx.store.apps.has(appKey)) throw new ControlError(404, "no app with this appKey");
      const result = await hub().pushRobotMessage(appKey, asObject(body.body, "body"));
      if (result.error?.startsWith("invalid robot-message body")) throw new ControlError(400, result.error);
      return c.json(result);
    }),
  );
};
