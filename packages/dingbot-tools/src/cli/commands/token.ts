import { Option } from "commander";
import { addAppFlags } from "./app-flags.js";
import type { RegisterCommand } from "./register.js";
import type { TokenFlags } from "./token-flags.js";

/** `dingbot token`: gets (or reuses) the app's access token and shows when it expires. */
export const registerToken: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("token")
    .description(
      "get the app's access token (cached between runs) and show when it expires; --show prints it",
    )
    .addOption(
      new Option(
        "--style <style>",
        "oapi: old gettoken (access_token query); api: new oauth2/accessToken (header)",
      )
        .choices(["oapi", "api"])
        .default("oapi"),
    )
    .option("--show", "print the token itself (it is a credential: keep it out of logs)");
  addAppFlags(command, { agent: false }).action(async (flags: TokenFlags) => {
    const { runToken } = await import("./token-action.js");
    setExit(await runToken(flags, io));
  });
};
