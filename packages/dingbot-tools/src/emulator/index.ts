/**
 * The DingTalk emulator, for tests and offline development.
 * @module
 */
export type { EmulatorContext, OnListenHook, RouteInstaller } from "./context.js";
export { createEmulator, type Emulator } from "./emulator.js";
export type { FaultInput, FaultKind, FaultRecord } from "./faults.js";
export type { EmulatorOptions } from "./options.js";
export { applyState, loadStateFile, type StateFile, StateFileError } from "./state-file.js";
export * from "./store.js";
