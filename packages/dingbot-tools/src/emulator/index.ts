/**
 * The DingTalk emulator, for tests and offline development.
 * @module
 */
export type { EmulatorContext, OnListenHook, RouteInstaller } from "./context.js";
export { createEmulator, type Emulator } from "./emulator.js";
export type { EmulatorOptions } from "./options.js";
export * from "./store.js";
