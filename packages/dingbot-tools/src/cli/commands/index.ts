/**
 * Every command of the CLI. A command module exports a `register` function that declares its flags
 * with commander and imports its implementation lazily inside the action.
 * @module
 */
import { registerApi } from "./api.js";
import { registerCard } from "./card.js";
import { registerDemo } from "./demo.js";
import { registerEmulator } from "./emulator.js";
import { registerListen } from "./listen.js";
import { registerMedia } from "./media.js";
import { registerNotify } from "./notify.js";
import type { RegisterCommand } from "./register.js";
import { registerRelay } from "./relay.js";
import { registerRobot } from "./robot.js";
import { registerSend } from "./send.js";
import { registerServe } from "./serve.js";
import { registerToken } from "./token.js";

/** The commands, in the order `--help` lists them. */
export const COMMANDS: RegisterCommand[] = [
  registerSend,
  registerEmulator,
  registerServe,
  registerListen,
  registerDemo,
  registerRelay,
  registerNotify,
  registerRobot,
  registerCard,
  registerMedia,
  registerToken,
  registerApi,
];
