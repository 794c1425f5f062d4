/**
 * Per-emulator state of the app APIs (tokens, work-notification tasks, robot sends): the context's
 * `appApi` field, cleared with the store on `POST /_emulator/reset`.
 * @module
 */
import { NotificationRegistry } from "./notifications.js";
import type { EmulatorStore } from "./store.js";
import { TokenRegistry } from "./tokens.js";

/** The app-API state of one emulator. */
export class AppApiState {
  readonly tokens = new TokenRegistry();
  readonly notifications: NotificationRegistry;

  constructor(store: EmulatorStore) {
    this.notifications = new NotificationRegistry(store);
  }

  /** Forgets every token, task and robot send. */
  clear(): void {
    this.tokens.clear();
    this.notifications.clear();
  }
}
