/**
 * Injected faults for `/robot/send` and `/robot/sendBySession`, so relay and client tests can see 5xx
 * answers, dropped connections, slow answers and arbitrary errcodes on demand.
 * @module
 */
import { randomUUID } from "node:crypto";

/**
 * What a fault does to the request it hits. `card-qps` hits card calls (card_1_0) instead of the robot
 * webhooks: they answer 403 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`.
 */
export type FaultKind = "http5xx" | "reset" | "delay" | "errcode" | "card-qps";

/** The kinds, for validation. */
export const FAULT_KINDS: readonly FaultKind[] = ["http5xx", "reset", "delay", "errcode", "card-qps"];

/** A fault as created by `POST /_emulator/faults`. */
export interface FaultInput {
  /** Only requests for this robot; omitted = every request (global). */
  accessToken?: string;
  /** `card-qps` only: only card calls of this app; omitted = card calls of every app. */
  appKey?: string;
  kind: FaultKind;
  /** How many of the next matching requests it hits (default 1). */
  count?: number;
  /** http5xx: the status (default 503). */
  status?: number;
  /** delay: how long to wait before handling the request normally, in ms. */
  delayMs?: number;
  /** errcode: the errcode to answer (HTTP 200). */
  errcode?: number;
  /** errcode: the errmsg to answer (default: DingTalk's wording for known codes). */
  errmsg?: string;
}

/** A registered fault. */
export interface FaultRecord {
  id: string;
  accessToken?: string;
  appKey?: string;
  kind: FaultKind;
  /** Requests it will still hit. */
  remaining: number;
  /** Requests it has hit so far. */
  hits: number;
  status?: number;
  delayMs?: number;
  errcode?: number;
  errmsg?: string;
  createdAt: number;
}

/** DingTalk's wording for the errcodes a fault is most likely to imitate. */
const KNOWN_ERRMSGS: Record<number, string> = {
  [-1]: "系统繁忙",
  130101: "send too fast, exceed 20 times per minute",
  410100: "发送速度太快而限流，请降低发送速度",
  660026: "sending too many messages per minute",
  300001: "token is not exist",
  300005: "token is not exist",
  310000: "keywords not in content",
  400013: "群已被解散，请向其他群发消息",
  400101: "access_token不存在，请确认access_token拼写是否正确",
  400102: "机器人已停用，请联系管理员启用机器人",
  400106: "机器人不存在，请确认机器人是否在群中",
  430104: "含有不合适的内容，请确认发送的内容合法",
};

/**
 * Validates a fault from the control API.
 * @param input - the parsed JSON body
 * @returns the normalised fault, or a sentence saying what is wrong
 */
export function parseFaultInput(
  input: unknown,
):
  | { ok: true; fault: Required<Pick<FaultInput, "kind" | "count">> & FaultInput }
  | { ok: false; error: string } {
  if (!input || typeof input !== "object" || Array.isArray(input))
    return { ok: false, error: "body must be a JSON object" };
  const o = input as Record<string, unknown>;
  if (!FAULT_KINDS.includes(o.kind as FaultKind)) {
    return { ok: false, error: `kind must be one of ${FAULT_KINDS.join(", ")}` };
  }
  const kind = o.kind as FaultKind;
  if (o.accessToken !== undefined && (typeof o.accessToken !== "string" || o.accessToken === "")) {
    return { ok: false, error: "accessToken must be a non-empty string (omit it for a global fault)" };
  }
  const count = o.count ?? 1;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 1_000_000) {
    return { ok: false, error: "count must be a whole number from 1 to 1000000" };
  }
  const fault: Required<Pick<FaultInput, "kind" | "count">> & FaultInput = { kind, count: count as number };
  if (kind === "card-qps") {
    if (o.accessToken !== undefined)
      return { ok: false, error: "a card-qps fault takes appKey, not accessToken" };
    if (o.appKey !== undefined && (typeof o.appKey !== "string" || o.appKey === "")) {
      return { ok: false, error: "appKey must be a non-empty string (omit it for every app)" };
    }
    if (typeof o.appKey === "string") fault.appKey = o.appKey;
    return { ok: true, fault };
  }
  if (o.appKey !== undefined) return { ok: false, error: "appKey is for card-qps faults only" };
  if (typeof o.accessToken === "string") fault.accessToken = o.accessToken;
  if (kind === "http5xx") {
    const status = o.status ?? 503;
    if (!Number.isInteger(status) || (status as number) < 500 || (status as number) > 599) {
      return { ok: false, error: "status must be a whole number from 500 to 599" };
    }
    fault.status = status as number;
  }
  if (kind === "delay") {
    const delayMs = o.delayMs;
    if (!Number.isInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > 600_000) {
      return { ok: false, error: "delayMs must be a whole number of ms from 0 to 600000" };
    }
    fault.delayMs = delayMs as number;
  }
  if (kind === "errcode") {
    if (!Number.isInteger(o.errcode)) return { ok: false, error: "errcode must be a whole number" };
    if (o.errmsg !== undefined && typeof o.errmsg !== "string")
      return { ok: false, error: "errmsg must be a string" };
    fault.errcode = o.errcode as number;
    fault.errmsg = (o.errmsg as string | undefined) ?? KNOWN_ERRMSGS[o.errcode as number] ?? "emulated fault";
  }
  return { ok: true, fault };
}

/** The faults of one emulator, consumed in the order they were created (robot-specific ones first). */
export class FaultRegistry {
  readonly #faults: FaultRecord[] = [];

  constructor(private readonly now: () => number) {}

  /** Registers a validated fault. */
  add(input: Required<Pick<FaultInput, "kind" | "count">> & FaultInput): FaultRecord {
    const { count, ...rest } = input;
    const record: FaultRecord = {
      id: randomUUID(),
      ...rest,
      remaining: count,
      hits: 0,
      createdAt: this.now(),
    };
    this.#faults.push(record);
    return record;
  }

  /** Faults still pending. */
  list(): FaultRecord[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** Removes one fault; false when there is none with that id. */
  remove(id: string): boolean {
    const index = this.#faults.findIndex((f) => f.id === id);
    if (index === -1) return false;
    this.#faults.splice(index, 1);
    return true;
  }

  /** Removes every fault. */
  clear(): void {
    this.#faults.length = 0;
  }

  /**
   * Takes the fault that hits this request, if any, and counts the hit. A fault for this robot wins over
   * a global one; one request meets at most one fault.
   * @param accessToken - the request's robot token, if it has one (sessions have none)
   */
  take(accessToken: string | undefined): FaultRecord | undefined {
    if (this.#faults.length === 0) return undefined;
    const robot = this.#faults.filter((f) => f.kind !== "card-qps");
    const fault =
      (accessToken !== undefined ? robot.find((f) => f.accessToken === accessToken) : undefined) ??
      robot.find((f) => f.accessToken === undefined);
    return fault ? this.#hit(fault) : undefined;
  }

  /**
   * Whether a robot message request might meet a fault (any fault but `card-qps` is pending), without
   * taking one: the node:http fast route of `/robot/send` leaves such requests to the Hono route, the one
   * place faults are acted out.
   */
  hasRobotFaults(): boolean {
    for (const fault of this.#faults) if (fault.kind !== "card-qps") return true;
    return false;
  }

  /**
   * Takes the `card-qps` fault that hits a card call of this app, if any: one for the app wins over a
   * global one.
   * @param appKey - the app whose token made the call
   */
  takeCard(appKey: string): FaultRecord | undefined {
    const card = this.#faults.filter((f) => f.kind === "card-qps");
    const fault = card.find((f) => f.appKey === appKey) ?? card.find((f) => f.appKey === undefined);
    return fault ? this.#hit(fault) : undefined;
  }

  #hit(fault: FaultRecord): FaultRecord {
    fault.remaining -= 1;
    fault.hits += 1;
    if (fault.remaining <= 0) this.remove(fault.id);
    return { ...fault };
  }
}
