/**
 * Sending goes through the library's WebhookClient, with its own limiter and retries switched off: the
 * relay's scheduler owns pacing (persistent, shared across restarts and instances) and retries (durable).
 * @module
 */

import type { Logger, RobotMessageBody } from "dingbot-sdk";
import { WebhookClient } from "dingbot-sdk/client";
import type { ResolvedRobot } from "./config.js";

/** Posts one message to one configured robot; throws dingbot's typed errors. */
export interface Sender {
  send(robot: string, body: RobotMessageBody): Promise<void>;
}

/** Options of {@link createWebhookSender}. */
export interface WebhookSenderOptions {
  /** Base URL standing for DingTalk (the emulator); default DINGTALK_BASE_URL from `env`. */
  baseUrl?: string;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * Creates a {@link Sender} with one WebhookClient per robot.
 * @param robots - the configured robots
 * @param options - base URL, fetch, clock, timeout
 * @throws ValidationError when a webhook has no access_token
 */
export function createWebhookSender(
  robots: ReadonlyMap<string, ResolvedRobot>,
  options: WebhookSenderOptions = {},
): Sender {
  const clients = new Map<string, WebhookClient>();
  for (const robot of robots.values()) {
    clients.set(
      robot.name,
      new WebhookClient({
        url: robot.webhook,
        ...(robot.secret ? { secret: robot.secret } : {}),
        keywords: robot.keywords,
        injectKeyword: true,
        rateLimit: false,
        retries: 0,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        timeoutMs: options.timeoutMs ?? 10_000,
      }),
    );
  }
  return {
    async send(robot, body) {
      const client = clients.get(robot);
      if (!client) throw new TypeError(`unknown robot ${robot}`);
      await client.send(body);
    },
  };
}
