/**
 * The relay's configuration schema (relay.yaml), checked once at start-up.
 * The tools package may use zod directly here: the config is not part of DingTalk's wire format.
 * @module
 */
import { webhookToken } from "dingbot-sdk/protocol";
import { z } from "zod";

/** Where the outbox lives: one SQLite file (default), or Redis shared by several relay instances. */
export const StoreConfigSchema = z.union([
  z.strictObject({
    sqlite: z.string().min(1),
    /** `normal` (default) survives a killed process; `full` also survives power loss, slower. */
    synchronous: z.enum(["normal", "full"]).optional(),
  }),
  z.strictObject({
    redis: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
    /** Prefix of every Redis key, so several relays can share one Redis. */
    prefix: z.string().min(1).optional(),
  }),
]);

/** One DingTalk custom robot the relay posts to. */
export const RobotConfigSchema = z.strictObject({
  webhook: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(1).optional(),
  keywords: z.array(z.string().min(1)).max(10).optional(),
  /** Messages per window for this robot (DingTalk: 20). */
  rateLimit: z.int().positive().optional(),
  /** Length of the rate window in ms (DingTalk: 60000). */
  rateWindowMs: z.int().positive().optional(),
});

/** Default time a sender has to send a request's headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
/** Default time a sender has to send a whole request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const SOURCES = ["alertmanager", "grafana", "github", "generic"] as const;

const authSecret = z
  .string()
  .min(1)
  // `bearer: RELAY_TOKEN` would make the literal text the token: almost surely meant as `${RELAY_TOKEN}`.
  .refine((value) => !/^[A-Z][A-Z0-9_]*$/.test(value), {
    message: `looks like the name of an environment variable: write "\${NAME}" to use its value`,
  });

/**
 * Who may post to a route: a bearer token (`Authorization: Bearer …`) or a shared secret in a header of
 * the route's choosing. Write the value as `${ENV_VAR}` so it stays out of the file.
 */
export const RouteAuthSchema = z.union([
  z.strictObject({ bearer: authSecret }),
  z.strictObject({
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name")
      .refine((name) => !["authorization", "content-type", "origin", "host"].includes(name.toLowerCase()), {
        message: "choose a header of your own (e.g. X-Relay-Token); use `bearer` for Authorization",
      }),
    secret: authSecret,
  }),
]);

/** One inbound webhook path and where its alerts go. */
export const RouteConfigSchema = z.strictObject({
  path: z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, "must start with / and contain only URL path characters"),
  source: z.enum(SOURCES),
  robots: z.array(z.string().min(1)).min(1),
  /** Label matchers: `value` (equal), `"!=value"`, `"=~regex"`, `"!~regex"`. */
  match: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  atMobiles: z.array(z.string().min(1)).optional(),
  atUserIds: z.array(z.string().min(1)).optional(),
  atAll: z.boolean().optional(),
  /** Liquid template file (relative to the config file), replacing the built-in one. */
  template: z.string().min(1).optional(),
  /** JSON file to dry-render a generic route's template against at start-up. */
  sample: z.string().min(1).optional(),
  /** Message title (Liquid); defaults to the template's first heading. */
  title: z.string().min(1).optional(),
  /** GitHub: the webhook secret that signs `X-Hub-Signature-256`. */
  secret: z.string().min(1).optional(),
  /** Required credentials of a request (every route of one path must ask for the same). */
  auth: RouteAuthSchema.optional(),
  /** Language of the built-in templates. */
  language: z.enum(["zh", "en"]).optional(),
});

/** Scheduling and retry limits; the defaults are DingTalk's real values. */
export const LimitsConfigSchema = z.strictObject({
  rateLimit: z.int().positive().optional(),
  rateWindowMs: z.int().positive().optional(),
  /** Longest an alert may wait in the outbox before it must be sent (folded if need be). */
  maxWaitMs: z.int().positive().optional(),
  /** Transient failures tolerated per alert before it is dead-lettered. */
  maxAttempts: z.int().positive().optional(),
  retryBaseMs: z.int().positive().optional(),
  retryMaxMs: z.int().positive().optional(),
  /** Timeout of one send to DingTalk. */
  requestTimeoutMs: z.int().positive().optional(),
  /** Largest accepted webhook body, in bytes. */
  maxBodyBytes: z.int().positive().optional(),
});

/** The whole relay.yaml. */
export const RelayConfigSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().min(1).optional(),
        port: z.int().min(0).max(65535).optional(),
        /** Time a sender has to send a request's headers (default 15000 ms). */
        headersTimeoutMs: z.int().positive().optional(),
        /** Time a sender has to send a whole request, body included (default 30000 ms); 408 after. */
        requestTimeoutMs: z.int().positive().optional(),
      })
      .optional(),
    store: StoreConfigSchema.optional(),
    /** Overrides DINGTALK_BASE_URL (e.g. the emulator). */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    language: z.enum(["zh", "en"]).optional(),
    /** IANA time zone of times in messages (default Asia/Shanghai). */
    timezone: z
      .string()
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, "unknown time zone")
      .optional(),
    log: z
      .strictObject({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]) })
      .optional(),
    limits: LimitsConfigSchema.optional(),
    robots: z.record(
      z.string().regex(/^[A-Za-z0-9_-]+$/, "robot names use letters, digits, - and _"),
      RobotConfigSchema,
    ),
    routes: z.array(RouteConfigSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const robots = new Set(Object.keys(config.robots));
    for (const [name, robot] of Object.entries(config.robots)) {
      if (!webhookToken(robot.webhook)) {
        ctx.addIssue({
          code: "custom",
          path: ["robots", name, "webhook"],
          message: "the webhook has no access_token: copy the whole URL from the group's robot settings",
        });
      }
    }
    const headersTimeout = config.listen?.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const requestTimeout = config.listen?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (headersTimeout > requestTimeout) {
      // Node refuses a server whose headers timeout is longer than its whole-request timeout.
      ctx.addIssue({
        code: "custom",
        path: ["listen", "headersTimeoutMs"],
        message: `must not exceed listen.requestTimeoutMs (${requestTimeout})`,
      });
    }
    const sourceByPath = new Map<string, string>();
    const authByPath = new Map<string, string>();
    config.routes.forEach((route, index) => {
      route.robots.forEach((name, j) => {
        if (!robots.has(name)) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", index, "robots", j],
            message: `unknown robot "${name}" (known: ${[...robots].join(", ") || "none"})`,
          });
        }
      });
      const earlier = sourceByPath.get(route.path);
      if (earlier && earlier !== route.source) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "source"],
          message: `path ${route.path} is already a ${earlier} route; one path has one source`,
        });
      }
      sourceByPath.set(route.path, route.source);
      // One request is checked once, before the routes of its path are known to accept it.
      const auth = JSON.stringify(route.auth ?? null);
      const earlierAuth = authByPath.get(route.path);
      if (earlierAuth !== undefined && earlierAuth !== auth) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "auth"],
          message: `routes of path ${route.path} must share the same auth`,
        });
      }
      authByPath.set(route.path, auth);
      if (route.path === "/healthz" || route.path === "/metrics") {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "path"],
          message: `${route.path} is reserved`,
        });
      }
      for (const [label, value] of Object.entries(route.match ?? {})) {
        const text = String(value);
        if (text.startsWith("=~") || text.startsWith("!~")) {
          try {
            new RegExp(text.slice(2));
          } catch {
            ctx.addIssue({
              code: "custom",
              path: ["routes", index, "match", label],
              message: "invalid regex",
            });
          }
        }
      }
    });
  });

/** relay.yaml after validation (before defaults). */
export type RelayConfigInput = z.infer<typeof RelayConfigSchema>;
/** One robot entry. */
export type RobotConfigInput = z.infer<typeof RobotConfigSchema>;
/** A route's auth entry. */
export type RouteAuthInput = z.infer<typeof RouteAuthSchema>;
/** One route entry. */
export type RouteConfigInput = z.infer<typeof RouteConfigSchema>;
/** Source kinds the relay understands. */
export type SourceKind = (typeof SOURCES)[number];
