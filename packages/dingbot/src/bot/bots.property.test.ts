import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupText, T0 } from "./_fixtures.js";
import { Bot } from "./bot.js";
import { Bots } from "./bots.js";

const HOUR = 3_600_000;
const SECRETS = {
  a: "prop-secret-of-a-0123456789",
  b: "prop-secret-of-b-0123456789",
  c: "prop-secret-of-c-0123456789",
};
type Name = keyof typeof SECRETS;
/** Where each bot listens: a alone, b and c on one path (the signature picks between them). */
const PATHS: Record<Name, string> = { a: "/a", b: "/shared", c: "/shared" };

/** An oracle written independently of protocol/signing.ts. */
const signWith = (secret: string, ts: string): string =>
  createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64");

const request = fc.record({
  method: fc.constantFrom("POST", "POST", "POST", "POST", "GET", "PUT"),
  path: fc.constantFrom(
    "/a",
    "/a/",
    "/shared",
    "/shared/",
    "/b",
    "/c",
    "/",
    "/healthz",
    "/a/card-callback",
    "/x",
  ),
  timestamp: fc.oneof(
    { arbitrary: fc.integer({ min: -2 * HOUR, max: 2 * HOUR }).map((d) => String(T0 + d)), weight: 4 },
    fc.constantFrom(String(T0), "0", "junk"),
  ),
  signer: fc.constantFrom<Name | "stranger" | "none">("a", "b", "c", "a", "b", "c", "stranger", "none"),
  text: fc.string({ maxLength: 20 }),
});

describe("Bots' HTTP handler under random input", () => {
  it("never answers 5xx, and a bot runs only for a callback signed with its secret on its path", async () => {
    const runs: Record<Name, number> = { a: 0, b: 0, c: 0 };
    const bots = new Bots();
    for (const name of Object.keys(SECRETS) as Name[]) {
      const bot = new Bot({ now: () => T0 });
      bot.use(() => {
        runs[name] += 1;
      });
      bots.add(name, bot, { appSecret: SECRETS[name], path: PATHS[name] });
    }
    const handler = bots.httpHandler({ now: () => T0 });
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers = new Headers({ timestamp: r.timestamp });
        const secret =
          r.signer === "stranger" ? "not-ours" : r.signer === "none" ? undefined : SECRETS[r.signer];
        if (secret) headers.set("sign", signWith(secret, r.timestamp));
        const before = { ...runs };
        const response = await handler(
          new Request(`http://bots.local${r.path}`, {
            method: r.method,
            headers,
            ...(r.method === "GET" ? {} : { body: JSON.stringify(groupText(r.text)) }),
          }),
        );
        await response.text();
        expect(response.status).toBeLessThan(500);
        const fresh = /^\d+$/.test(r.timestamp) && Math.abs(Number(r.timestamp) - T0) <= HOUR;
        const normalised = r.path.length > 1 ? r.path.replace(/\/$/, "") : r.path;
        const known =
          Object.values(PATHS).includes(normalised) || (normalised === "/healthz" && r.method === "GET");
        if (!known) expect(response.status).toBe(404);
        for (const name of Object.keys(SECRETS) as Name[]) {
          if (runs[name] === before[name]) continue;
          reached += 1;
          expect(r.signer).toBe(name);
          expect(fresh && r.method === "POST" && normalised === PATHS[name]).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must reach the bots often enough for the property to mean something.
    expect(reached).toBeGreaterThan(100);
    expect(Math.min(runs.a, runs.b, runs.c)).toBeGreaterThan(10);
  }, 60_000);
});
