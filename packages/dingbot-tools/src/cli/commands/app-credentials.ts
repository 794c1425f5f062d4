/**
 * The app credentials of `dingbot notify`, `robot send`, `token` and `api`: from flags, else the environment,
 * checked before any client is built so that each mistake is a usage error naming the flag and the variable.
 * @module
 */
import { type CliIo, CliUsageError } from "../io.js";
import type { AppFlags } from "./app-flags.js";

/** The credentials a command resolved from flags and environment. */
export interface AppCredentials {
  appKey: string;
  appSecret: string;
  agentId?: string;
}

/** Where the console shows the credentials, for the hints. */
const WHERE = "the app's page in the DingTalk developer console (凭证与基础信息)";

/**
 * Reads the app credentials from flags, else DINGTALK_APP_KEY / DINGTALK_APP_SECRET / DINGTALK_AGENT_ID.
 * @param needAgent - whether the command needs the AgentId (work notifications)
 * @throws CliUsageError naming the missing flag and variable, or an agent id that is not a positive number
 */
export function credentials(flags: AppFlags, io: CliIo, needAgent: boolean): AppCredentials {
  const appKey = flags.appKey ?? io.env.DINGTALK_APP_KEY;
  const appSecret = flags.appSecret ?? io.env.DINGTALK_APP_SECRET;
  const agentId = flags.agentId ?? io.env.DINGTALK_AGENT_ID;
  if (!appKey)
    throw new CliUsageError(
      "no app key: pass --app-key or set DINGTALK_APP_KEY",
      `copy the AppKey (Client ID) from ${WHERE}`,
    );
  if (!appSecret) {
    throw new CliUsageError(
      "no app secret: set DINGTALK_APP_SECRET (or pass --app-secret)",
      `copy the AppSecret from ${WHERE}`,
    );
  }
  if (needAgent && !agentId) {
    throw new CliUsageError(
      "no agent id: pass --agent-id or set DINGTALK_AGENT_ID",
      `copy the AgentId from ${WHERE}`,
    );
  }
  if (agentId !== undefined) checkAgentId(agentId);
  return { appKey, appSecret, ...(agentId ? { agentId } : {}) };
}

/** What AppClient accepts as an AgentId (a positive safe integer), checked here so the CLI can say so. */
function checkAgentId(agentId: string): void {
  const hint = "the AgentId is all digits, e.g. 123456789";
  if (!/^\d+$/.test(agentId))
    throw new CliUsageError(`the agent id must be a number, got ${JSON.stringify(agentId)}`, hint);
  const n = Number(agentId);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CliUsageError(
      `the agent id must be a positive whole number, got ${JSON.stringify(agentId)}`,
      hint,
    );
}
