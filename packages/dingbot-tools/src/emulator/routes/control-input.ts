/**
 * Validation of control-API input (robots, apps, people, conversations), shared by the `/_emulator/*`
 * routes and the `--state` file so both refuse the same mistakes with the same sentence.
 * @module
 */
import { MAX_KEYWORDS } from "dingbot-sdk/protocol";
import { RATE_LIMIT_ERRCODES, type RateLimitErrcode } from "../options.js";
import { parseIpWhitelist } from "../security.js";
import type { ConversationRecord, EmulatorStore, RobotRecord, UserRecord } from "../store.js";

/** A control-API refusal: 400 bad input, 404 unknown id, 409 duplicate id, 413 too large. */
export class ControlError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

type Input = Record<string, unknown>;

/** Insists on a JSON object. */
export function asObject(value: unknown, what = "body"): Input {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ControlError(400, `${what} must be a JSON object`);
  }
  return value as Input;
}

/** An optional non-empty string of at most `max` characters. */
export function optionalString(o: Input, key: string, max = 1000): string | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw new ControlError(400, `${key} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** An optional array of non-empty strings. */
export function optionalStrings(o: Input, key: string, maxItems = 1000): string[] | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > maxItems ||
    value.some((v) => typeof v !== "string" || v === "")
  ) {
    throw new ControlError(400, `${key} must be an array of at most ${maxItems} non-empty strings`);
  }
  return value as string[];
}

/** An optional whole number. */
export function optionalInteger(o: Input, key: string): number | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value)) throw new ControlError(400, `${key} must be a whole number`);
  return value as number;
}

/** An optional boolean. */
export function optionalBoolean(o: Input, key: string): boolean | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new ControlError(400, `${key} must be true or false`);
  return value;
}

/** An optional value out of a fixed set. */
export function optionalEnum<T extends string>(o: Input, key: string, values: readonly T[]): T | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (!values.includes(value as T)) throw new ControlError(400, `${key} must be one of ${values.join(", ")}`);
  return value as T;
}

/** Identifiers end up in URLs and ids; keep them to printable characters without spaces. */
function optionalId(o: Input, key: string): string | undefined {
  const value = optionalString(o, key, 256);
  if (value !== undefined && !/^[\x21-\x7e]+$/.test(value)) {
    throw new ControlError(400, `${key} must be printable ASCII without spaces`);
  }
  return value;
}

/** Arguments of {@link EmulatorStore.createRobot}. */
export type RobotInput = Partial<Omit<RobotRecord, "createdAt">>;

/**
 * Validates `POST /_emulator/robots`.
 * @param value - the parsed body
 * @param store - to check that ids are new and references exist
 */
export function robotInput(value: unknown, store: EmulatorStore): RobotInput {
  const o = asObject(value);
  const accessToken = optionalString(o, "accessToken", 256);
  if (accessToken !== undefined && !/^[A-Za-z0-9._~-]+$/.test(accessToken)) {
    throw new ControlError(400, "accessToken may contain only letters, digits and . _ ~ -");
  }
  if (accessToken !== undefined && store.robots.has(accessToken)) {
    throw new ControlError(409, "a robot with this accessToken already exists");
  }
  const keywords = optionalStrings(o, "keywords", MAX_KEYWORDS);
  const ipWhitelist = optionalStrings(o, "ipWhitelist");
  if (ipWhitelist) {
    const parsed = parseIpWhitelist(ipWhitelist);
    if (!parsed.ok) {
      throw new ControlError(
        400,
        `ipWhitelist entry ${JSON.stringify(parsed.bad)} is not an IP, a CIDR range or a range a-b`,
      );
    }
  }
  const conversationId = optionalId(o, "conversationId");
  if (conversationId !== undefined && !store.conversations.has(conversationId)) {
    throw new ControlError(404, `no conversation ${conversationId}`);
  }
  // The throttling errcode is uncertain on DingTalk (protocol 1.7); a robot may answer any of the three.
  const rateLimitErrcode = o.rateLimitErrcode;
  if (
    rateLimitErrcode !== undefined &&
    !(RATE_LIMIT_ERRCODES as readonly unknown[]).includes(rateLimitErrcode)
  ) {
    throw new ControlError(400, `rateLimitErrcode must be one of ${RATE_LIMIT_ERRCODES.join(", ")}`);
  }
  return defined({
    accessToken,
    rateLimitErrcode: rateLimitErrcode as RateLimitErrcode | undefined,
    secret: optionalString(o, "secret", 256),
    keywords,
    ipWhitelist,
    name: optionalString(o, "name", 100),
    conversationId,
  });
}

/** Arguments of {@link EmulatorStore.createApp}. */
export type AppInput = Parameters<EmulatorStore["createApp"]>[0];

/**
 * Validates `POST /_emulator/apps`.
 * @param value - the parsed body
 * @param store - to check that ids are new
 */
export function appInput(value: unknown, store: EmulatorStore): NonNullable<AppInput> {
  const o = asObject(value);
  const appKey = optionalId(o, "appKey");
  if (appKey !== undefined && store.apps.has(appKey))
    throw new ControlError(409, `app ${appKey} already exists`);
  const robotCode = optionalId(o, "robotCode");
  if (store.findAppByRobotCode(robotCode ?? appKey ?? "") !== undefined) {
    throw new ControlError(409, `an app with robotCode ${robotCode ?? appKey} already exists`);
  }
  const callbackUrl = optionalString(o, "callbackUrl", 2000);
  if (callbackUrl !== undefined && !/^https?:\/\//i.test(callbackUrl)) {
    throw new ControlError(400, "callbackUrl must be an http:// or https:// URL");
  }
  if (callbackUrl !== undefined) {
    try {
      new URL(callbackUrl);
    } catch {
      throw new ControlError(400, "callbackUrl must be an http:// or https:// URL");
    }
  }
  const agentId = optionalInteger(o, "agentId");
  if (agentId !== undefined && agentId <= 0) throw new ControlError(400, "agentId must be positive");
  return defined({
    appKey,
    appSecret: optionalString(o, "appSecret", 256),
    robotCode,
    agentId,
    name: optionalString(o, "name", 100),
    callbackUrl,
    mode: optionalEnum(o, "mode", ["http", "stream"] as const),
  }) as NonNullable<AppInput>;
}

/** Arguments of {@link EmulatorStore.createUser}. */
export type UserInput = Partial<Omit<UserRecord, "dingtalkId">>;

/**
 * Validates `POST /_emulator/users`.
 * @param value - the parsed body
 * @param store - to check that ids are new
 */
export function userInput(value: unknown, store: EmulatorStore): UserInput {
  const o = asObject(value);
  const userId = optionalId(o, "userId");
  if (userId !== undefined && store.users.has(userId))
    throw new ControlError(409, `user ${userId} already exists`);
  const mobile = optionalString(o, "mobile", 32);
  if (mobile !== undefined && !/^\+?[\d-]{3,31}$/.test(mobile)) {
    throw new ControlError(400, "mobile must be digits, optionally with + and -");
  }
  if (mobile !== undefined && store.findUserByMobile(mobile)) {
    throw new ControlError(409, `a user with mobile ${mobile} already exists`);
  }
  return defined({
    userId,
    mobile,
    name: optionalString(o, "name", 100),
    unionId: optionalId(o, "unionId"),
    isAdmin: optionalBoolean(o, "isAdmin"),
  });
}

/** Arguments of {@link EmulatorStore.createConversation}. */
export type ConversationInput = Partial<Omit<ConversationRecord, "createdAt">>;

/**
 * Validates `POST /_emulator/conversations`: members must be known people and robots known app robots;
 * a 1:1 chat has exactly one person and at most one robot.
 * @param value - the parsed body
 * @param store - to check references
 */
export function conversationInput(value: unknown, store: EmulatorStore): ConversationInput {
  const o = asObject(value);
  const conversationId = optionalId(o, "conversationId");
  if (conversationId !== undefined && store.conversations.has(conversationId)) {
    throw new ControlError(409, `conversation ${conversationId} already exists`);
  }
  const type = optionalEnum(o, "type", ["single", "group"] as const) ?? "group";
  const members = [...new Set(optionalStrings(o, "members") ?? [])];
  const robots = [...new Set(optionalStrings(o, "robots") ?? [])];
  for (const userId of members)
    if (!store.users.has(userId)) throw new ControlError(404, `no user ${userId}`);
  for (const code of robots) {
    if (!store.findAppByRobotCode(code)) throw new ControlError(404, `no app robot with robotCode ${code}`);
  }
  if (type === "single" && (members.length !== 1 || robots.length > 1)) {
    throw new ControlError(400, "a single (1:1) conversation has exactly one member and at most one robot");
  }
  return defined({ conversationId, type, title: optionalString(o, "title", 200), members, robots });
}

/** Drops undefined properties (exactOptionalPropertyTypes-friendly, and keeps store defaults working). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
