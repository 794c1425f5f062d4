/**
 * Which values of a CLI run are credentials, so that nothing the CLI prints echoes them: one list of secret
 * flags and variables for every command and for run()'s net under unexpected errors.
 * @module
 */

/** Flags whose values are credentials. */
const SECRET_FLAG = /^--(?:secret|app-secret|client-secret|card-api-secret|webhook|token|session)(?:=|$)/;
/** Variables whose values are credentials. */
const SECRET_ENV = ["DINGTALK_SECRET", "DINGTALK_APP_SECRET", "DINGTALK_CARD_API_SECRET", "DINGTALK_WEBHOOK"];
/** The credential inside a webhook URL. */
const URL_CREDENTIAL = /[?&](?:access_token|session)=([^&\s]+)/;

/**
 * The given values, the secret variables of `env`, and the access_token (or session) inside any of them that
 * is a webhook URL: a webhook's credential is its token, and the URL as a whole is rarely printed verbatim.
 * @param values - secret values the command knows (flag values)
 * @param env - the run's environment
 */
export function withEnvSecrets(
  values: readonly (string | undefined)[],
  env: Record<string, string | undefined>,
): string[] {
  const found = values.filter((value): value is string => Boolean(value));
  for (const name of SECRET_ENV) {
    const value = env[name];
    if (value) found.push(value);
  }
  for (const value of [...found]) {
    const token = URL_CREDENTIAL.exec(value)?.[1];
    if (token) found.push(token);
  }
  return found;
}

/** The secret values given on the command line or in the environment (webhooks: their access_token too). */
export function secretArgs(argv: string[], env: Record<string, string | undefined>): string[] {
  const values: string[] = [];
  argv.forEach((arg, index) => {
    if (!SECRET_FLAG.test(arg)) return;
    const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[index + 1];
    if (value) values.push(value);
  });
  return withEnvSecrets(values, env);
}
