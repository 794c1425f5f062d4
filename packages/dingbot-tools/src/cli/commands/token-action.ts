import { type CliIo, EXIT } from "../io.js";
import { printer } from "../printer.js";
import { reportError } from "../report-error.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";
import type { TokenFlags } from "./token-flags.js";

/** Runs `dingbot token`. */
export async function runToken(flags: TokenFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    const creds = credentials(flags, io, false);
    const client = appClient(flags, io, creds, print);
    const token = await client.getToken(flags.style, { signal: io.signal });
    const seconds = Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000));
    const expires = new Date(token.expiresAt).toISOString();
    if (print.json) {
      io.stdout(
        `${JSON.stringify({ ok: true, appKey: creds.appKey, style: flags.style, expiresAt: expires, expiresInSeconds: seconds, ...(flags.show ? { token: token.value } : {}) })}\n`,
      );
      return EXIT.OK;
    }
    const use =
      flags.style === "oapi"
        ? "access_token query of oapi calls"
        : "x-acs-dingtalk-access-token header of /v1.0 calls";
    print.out(
      `${flags.style} token of app ${creds.appKey} (for the ${use}) expires at ${expires} (in ${seconds} s)\n`,
    );
    // Printed only on request, on its own line, so `$(dingbot token --show | tail -1)` works.
    if (flags.show) io.stdout(`${token.value}\n`);
    else print.out("run with --show to print the token\n");
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}
