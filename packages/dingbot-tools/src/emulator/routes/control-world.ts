/**
 * Control API, part two: app robots, people and conversations (`/_emulator/apps`, `/users`,
 * `/conversations`). App secrets appear here on purpose: they are the emulator's own test values.
 * @module
 */
import type { RouteInstaller } from "../context.js";
import { control, readControlJson } from "./control-http.js";
import { appInput, ControlError, conversationInput, userInput } from "./control-input.js";

/** Installs the app, user and conversation routes. */
export const installControlWorld: RouteInstaller = (app, ctx) => {
  const { store } = ctx;
  app.post(
    "/_emulator/apps",
    control(async (c) => c.json(store.createApp(appInput(await readControlJson(c), store)), 201)),
  );
  app.get(
    "/_emulator/apps",
    control((c) => c.json([...store.apps.values()])),
  );
  app.get(
    "/_emulator/apps/:appKey",
    control((c) => {
      const found = store.apps.get(c.req.param("appKey") ?? "");
      if (!found) throw new ControlError(404, "no app with this appKey");
      return c.json(found);
    }),
  );
  app.post(
    "/_emulator/users",
    control(async (c) => c.json(store.createUser(userInput(await readControlJson(c), store)), 201)),
  );
  app.get(
    "/_emulator/users",
    control((c) => c.json([...store.users.values()])),
  );
  app.post(
    "/_emulator/conversations",
    control(async (c) =>
      c.json(store.createConversation(conversationInput(await readControlJson(c), store)), 201),
    ),
  );
  app.get(
    "/_emulator/conversations",
    control((c) => c.json([...store.conversations.values()])),
  );
  app.get(
    "/_emulator/conversations/:conversationId",
    control((c) => {
      const found = store.conversations.get(c.req.param("conversationId") ?? "");
      if (!found) throw new ControlError(404, "no such conversation");
      return c.json(found);
    }),
  );
};
