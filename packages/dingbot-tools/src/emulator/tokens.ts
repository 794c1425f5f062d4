/**
 * App access tokens the emulator has issued: one per app and API style at a time, renewed in place while
 * valid (DingTalk hands out the same token and extends it), and refused once expired or revoked.
 * @module
 */
import { randomBytes } from "node:crypto";

/** Which endpoint issued a token. */
export type TokenKind = "oapi" | "api";

/** One issued token. */
export interface TokenRecord {
  token: string;
  appKey: string;
  kind: TokenKind;
  issuedAt: number;
  expiresAt: number;
}

/** Why a token was refused. */
export type TokenProblem = "missing" | "unknown" | "expired";

/** The tokens of one emulator. */
export class TokenRegistry {
  readonly #byToken = new Map<string, TokenRecord>();
  /** Token requests answered with a token, per kind (tests and the benchmark read it). */
  readonly issued: Record<TokenKind, number> = { oapi: 0, api: 0 };

  /**
   * Issues a token, or renews the app's current one of that kind while it is still valid.
   * @param ttlSeconds - lifetime (the emulator's `tokenTtlSeconds`)
   */
  issue(appKey: string, kind: TokenKind, now: number, ttlSeconds: number): TokenRecord {
    this.issued[kind] += 1;
    for (const record of this.#byToken.values()) {
      if (record.appKey === appKey && record.kind === kind && now < record.expiresAt) {
        record.expiresAt = now + ttlSeconds * 1000;
        return record;
      }
    }
    const record: TokenRecord = {
      token: randomBytes(16).toString("hex"),
      appKey,
      kind,
      issuedAt: now,
      expiresAt: now + ttlSeconds * 1000,
    };
    this.#byToken.set(record.token, record);
    return record;
  }

  /**
   * Looks a presented token up. Tokens of either kind are accepted on either host: in practice DingTalk's
   * two app tokens are the same kind of credential (see docs/app-api.md).
   */
  verify(
    token: string | undefined,
    now: number,
  ): { ok: true; record: TokenRecord } | { ok: false; problem: TokenProblem } {
    if (!token) return { ok: false, problem: "missing" };
    const record = this.#byToken.get(token);
    if (!record) return { ok: false, problem: "unknown" };
    if (now >= record.expiresAt) return { ok: false, problem: "expired" };
    return { ok: true, record };
  }

  /** Makes every token of an app (or of all apps) invalid at once, as if they had expired. */
  revoke(appKey?: string): number {
    let count = 0;
    for (const [token, record] of this.#byToken) {
      if (appKey === undefined || record.appKey === appKey) {
        this.#byToken.delete(token);
        count += 1;
      }
    }
    return count;
  }

  /** Forgets everything. */
  clear(): void {
    this.#byToken.clear();
    this.issued.oapi = 0;
    this.issued.api = 0;
  }
}
