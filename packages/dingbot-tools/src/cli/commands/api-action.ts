import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { RawRequest } from "dingbot-sdk/client";
import { type CliIo, CliUsageError, EXIT } from "../io.js";
import { parseKeyValues } from "../parse-flags.js";
import { printer } from "../printer.js";
import { reportError } from "../report-error.js";
import type { ApiFlags } from "./api-flags.js";
import { appClient } from "./app-client.js";
import { credentials } from "./app-credentials.js";
import { describeAppError } from "./app-errors.js";

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;

/** Runs `dingbot api METHOD PATH`. */
export async function runApi(method: string, path: string, flags: ApiFlags, io: CliIo): Promise<number> {
  const print = printer(io, flags.output, [flags.appSecret]);
  try {
    const upper = method.toUpperCase() as (typeof METHODS)[number];
    if (!METHODS.includes(upper))
      throw new CliUsageError(`unknown method ${JSON.stringify(method)}`, `use one of ${METHODS.join(", ")}`);
    if (!path.startsWith("/"))
      throw new CliUsageError(
        `the path must start with /, got ${JSON.stringify(path)}`,
        "e.g. /topapi/v2/user/get or /v1.0/robot/groupMessages/send",
      );
    const [pathname = path, search = ""] = path.split("?", 2);
    const query = {
      ...Object.fromEntries(new URLSearchParams(search)),
      ...parseKeyValues(flags.query, "--query"),
    };
    if ("access_token" in query)
      throw new CliUsageError("do not pass access_token: dingbot adds the app's token itself");
    const body = flags.data === undefined ? undefined : await readData(flags.data, io);
    const client = appClient(flags, io, credentials(flags, io, false), print);
    const request: RawRequest = {
      method: upper,
      path: pathname,
      signal: io.signal,
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(body === undefined ? {} : { body }),
    };
    const answer = await client.request(request);
    print.out(`${JSON.stringify(answer, null, print.json ? undefined : 2)}\n`);
    return EXIT.OK;
  } catch (error) {
    return reportError(error, print, describeAppError);
  }
}

async function readData(source: string, io: CliIo): Promise<unknown> {
  let text = source;
  if (source === "-") text = await io.readStdin();
  else if (source.startsWith("@")) {
    const file = resolve(io.cwd, source.slice(1));
    try {
      text = await readFile(file, "utf8");
    } catch {
      throw new CliUsageError(
        `--data ${source}: cannot read ${file}`,
        "'@path' reads a JSON file, '-' reads stdin",
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(
      `--data is not valid JSON (${(error as Error).message})`,
      `e.g. --data '{"userid":"manager1234"}'`,
    );
  }
}
