/**
 * run(argv, io) → exit code. Pure with respect to io: tests call it in-process.
 * Each command module registers its flags; the heavy work is imported lazily inside its action, so
 * `dingbot send` does not pay for the relay's or the emulator's imports.
 * @module
 */
import { Command } from "commander";
import { COMMANDS } from "./commands/index.js";
import { type CliIo, EXIT } from "./io.js";
import { secretArgs } from "./secrets.js";

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
    // The net under what the commands do not report themselves (serve, listen, relay, demo, emulator, and
    // unexpected errors): the one reporter, with a printer that masks every secret the user passed in.
    // Loaded here, so a run that succeeds does not pay for the library.
    const [{ describeUnexpected, reportError }, { printer }] = await Promise.all([
      import("./report-error.js"),
      import("./printer.js"),
    ]);
    return reportError(error, printer(io, "text", secretArgs(argv, io.env)), describeUnexpected);
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
