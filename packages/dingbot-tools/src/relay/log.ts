/**
 * The relay's pino logger: structured JSON, with every known secret (robot tokens and secrets, GitHub
 * webhook secrets) masked wherever it appears, and secret-bearing fields censored by name (the library's
 * `logRedaction`, the same paths as every other dingbot logger).
 * @module
 */
import { type Logger, logRedaction, redactText, redactUrl } from "dingbot-sdk";
import { webhookToken } from "dingbot-sdk/protocol";
import pino from "pino";
import type { RelayConfig } from "./config.js";

/** Literal secrets of a config: access tokens in webhooks, robot secrets, route secrets. */
export function secretsOf(config: RelayConfig): string[] {
  const secrets: string[] = [];
  for (const robot of config.robots.values()) {
    const token = webhookToken(robot.webhook);
    if (token) secrets.push(token);
    if (robot.secret) secrets.push(robot.secret);
  }
  for (const route of config.routes) {
    if (route.secret) secrets.push(route.secret);
    if (route.auth) secrets.push("bearer" in route.auth ? route.auth.bearer : route.auth.secret);
  }
  return secrets;
}

function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === "string")
    return redactText(value.startsWith("http") ? redactUrl(value) : value, secrets);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets, depth + 1)]));
}

/**
 * Creates the relay's logger.
 * @param level - pino level
 * @param secrets - literal values to mask in every log line
 * @param destination - where lines go (default stdout)
 */
export function createRelayLogger(
  level: string,
  secrets: readonly string[],
  destination?: pino.DestinationStream,
): Logger & { flush?: () => void } {
  const options: pino.LoggerOptions = {
    level,
    base: { name: "dingbot-relay" },
    // The library's one redaction config, one level deep too: the relay logs nested request objects.
    redact: logRedaction({ secrets, nested: true }),
    formatters: {
      log: (object) => scrub(object, secrets) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === "string" ? redactText(arg, secrets) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
