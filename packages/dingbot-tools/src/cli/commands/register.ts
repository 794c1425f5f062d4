/**
 * The shape of a command module's `register` function, in a file of its own so that command modules and
 * the list of commands (index.ts) do not import each other.
 * @module
 */
import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Declares one command on the program; `setExit` records the command's exit code. */
export type RegisterCommand = (program: Command, io: CliIo, setExit: (code: number) => void) => void;
