/**
 * Per-emulator state of the app APIs (tokens, work-notification tasks, robot sends), kept beside the
 * context and cleared with the store.
 * @module
 */
import type { EmulatorContext } from "./context.js";
import { NotificationRegistry } from "./notifications.js";
import { TokenRegistry } from "./tokens.js";

/** The app-API state of one emulator. */
export interface AppApiState {
  tokens: TokenRegistry;
  notifications: NotificationRegistry;
}

const states = new WeakMap<EmulatorContext, AppApiState>();

/** The app-API state of an emulator, created on first use. */
export function appApiState(ctx: EmulatorContext): AppApiState {
  let state = states.get(ctx);
  if (!state) {
    const created: AppApiState = {
      tokens: new TokenRegistry(),
      notifications: new NotificationRegistry(ctx.store),
    };
    ctx.store.events.on("reset", () => {
      created.tokens.clear();
      created.notifications.clear();
    });
    states.set(ctx, created);
    state = created;
  }
  return state;
}
