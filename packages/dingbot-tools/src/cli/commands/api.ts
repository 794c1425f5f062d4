import { collect } from "../parse-flags.js";
import type { ApiFlags } from "./api-flags.js";
import { addAppFlags } from "./app-flags.js";
import type { RegisterCommand } from "./register.js";

/** `dingbot api`: calls any app-API endpoint with the cached token, like `gh api`. */
export const registerApi: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("api")
    .description("call any DingTalk app-API endpoint with the app's cached token and print the JSON answer")
    .argument("<method>", "GET, POST, PUT, DELETE or PATCH")
    .argument(
      "<path>",
      "/v1.0/… for the new API (token in a header), anything else for the old API (token in the query)",
    )
    .option("--data <json>", "JSON body: inline, @file, or - for stdin")
    .option("-q, --query <key=value>", "a query parameter, repeatable", collect, []);
  addAppFlags(command, { agent: false })
    .addHelpText(
      "after",
      `
Examples:
  dingbot api POST /topapi/v2/user/get --data '{"userid":"manager1234"}'
  dingbot api GET /v1.0/robot/oToMessages/readStatus -q robotCode=$DINGTALK_APP_KEY -q processQueryKey=…
  dingbot api POST /v1.0/robot/groupMessages/send --data @body.json

Exit codes: 0 ok, 1 DingTalk refused (its error is printed), 2 bad usage.`,
    )
    .action(async (method: string, path: string, flags: ApiFlags) => {
      const { runApi } = await import("./api-action.js");
      setExit(await runApi(method, path, flags, io));
    });
};
