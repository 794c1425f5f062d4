/**
 * run(argv, io) → exit code. Pure with respect to io: tests call it in-process.
 * Each command module registers its flags; the heavy work is imported lazily inside its action, so
 * `dingbot send` does not pay for the relay's or the emulator's imports.
 * @module
 */
import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.js";
import { CliFailure, type CliIo, CliUsageError, EXIT } from "./io.js";

/**
 * Runs the CLI.
 * @param argv - arguments after the executable (e.g. `["send", "--text", "hi"]`)
 * @param io - streams, env, fetch and abort signal
 * @returns the exit code: 0 ok, 1 failure, 2 usage
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command("dingbot")
    .description(
      "DingTalk robots from the shell: send, answer, notify, relay alerts, emulate DingTalk offline.",
    )
    .version(await versionFor(argv))
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  const setExit = (code: number): void => {
    exitCode = code;
  };
  for (const register of COMMANDS) register(program, io, setExit);
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    // Most commands redact their own output; this is the net under the rest (serve, listen, relay, demo,
    // emulator): an unexpected error's message must not print a secret the user passed in.
    const { redactText } = await import("dingbot-sdk/client");
    const secrets = secretArgs(argv, io.env);
    return reportError(error, { ...io, stderr: (text) => io.stderr(redactText(text, secrets)) });
  }
}

/**
 * The library's `VERSION` when the run may print it (`-V`, `--version`), else a stand-in that is never shown.
 * Loading "dingbot-sdk" costs more than the rest of the CLI's start-up, so other runs do not pay for it.
 */
async function versionFor(argv: string[]): Promise<string> {
  if (!argv.some((arg) => arg === "-V" || arg === "--version")) return "";
  const { VERSION } = await import("dingbot-sdk");
  return VERSION;
}

/** Flags and variables whose values are credentials, so an error message never echoes them. */
const SECRET_FLAG = /^--(?:secret|app-secret|client-secret|webhook|token|session)(?:=|$)/;
const SECRET_ENV = ["DINGTALK_SECRET", "DINGTALK_APP_SECRET", "DINGTALK_WEBHOOK"];

/** The secret values given on the command line or in the environment (webhooks: their access_token too). */
export function secretArgs(argv: string[], env: Record<string, string | undefined>): string[] {
  const values: string[] = [];
  argv.forEach((arg, index) => {
    if (!SECRET_FLAG.test(arg)) return;
    const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[index + 1];
    if (value) values.push(value);
  });
  for (const name of SECRET_ENV) if (env[name]) values.push(env[name]);
  // A webhook's credential is its access_token; the URL as a whole is rarely printed verbatim.
  for (const value of [...values]) {
    const token = /[?&](?:access_token|session)=([^&\s]+)/.exec(value)?.[1];
    if (token) values.push(token);
  }
  return values;
}

/** Prints an error the way every command does and maps it to an exit code. */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message; help and version are not errors.
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.exitCode === 0
    ) {
      return EXIT.OK;
    }
    return EXIT.USAGE;
  }
  if (error instanceof CliUsageError) {
    io.stderr(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    return EXIT.USAGE;
  }
  if (error instanceof CliFailure) {
    io.stderr(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`error: ${message}\n`);
  return EXIT.FAILURE;
}
