import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupText, T0 } from "../_fixtures.js";
import { Bot } from "../bot.js";
import { httpTransport } from "./http.js";

const SECRET = "prop-test-app-secret-0123456789";
const HOUR = 3_600_000;

/** An oracle written independently of protocol/signing.ts. */
const expectedSign = (ts: string): string =>
  createHmac("sha256", SECRET).update(`${ts}\n${SECRET}`).digest("base64");

const headerText = fc.stringMatching(/^[\x21-\x7e]{0,60}$/);
const timestamp = fc.oneof(
  { arbitrary: fc.integer({ min: -2 * HOUR, max: 2 * HOUR }).map((d) => String(T0 + d)), weight: 4 },
  fc.constantFrom(String(T0), String(T0 - HOUR), String(T0 + HOUR), String(T0 + HOUR + 1), "0", "-1", "1e12"),
  headerText,
);
const message = fc
  .record({
    text: fc.string({ maxLength: 30 }),
    drop: fc.constantFrom(undefined, undefined, undefined, "msgId", "conversationType", "senderId", "text"),
    conversationType: fc.constantFrom("1", "2", "2", "2", "3", 2),
  })
  .map(({ text, drop, conversationType }) => {
    const m: Record<string, unknown> = { ...groupText(text), conversationType };
    if (drop) delete m[drop];
    return JSON.stringify(m);
  });
const body = fc.oneof(
  { arbitrary: message, weight: 6 },
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.constant(""),
  fc.constant("x".repeat(3000)),
);
const request = fc.record({
  method: fc.constantFrom("POST", "POST", "POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH"),
  path: fc.constantFrom("/hook", "/hook", "/hook", "/hook/", "/", "/hook2", "/hook/x"),
  timestamp: fc.option(timestamp, { nil: undefined }),
  signMode: fc.constantFrom("valid", "valid", "valid", "other-ts", "random", "absent", "other-secret"),
  randomSign: headerText,
  body,
});

describe("httpTransport() under random input", () => {
  it("never throws, never answers 5xx for bad input, never runs the bot without a valid signature", async () => {
    const bot = new Bot({ now: () => T0 });
    let calls = 0;
    bot.use(() => {
      calls += 1;
    });
    const handler = httpTransport(bot, {
      appSecret: SECRET,
      now: () => T0,
      path: "/hook",
      maxBodyBytes: 2048,
    });
    let validRuns = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers = new Headers();
        if (r.timestamp !== undefined) headers.set("timestamp", r.timestamp);
        const ts = r.timestamp ?? "";
        const signValue =
          r.signMode === "valid"
            ? expectedSign(ts)
            : r.signMode === "other-ts"
              ? expectedSign(`${ts}1`)
              : r.signMode === "other-secret"
                ? createHmac("sha256", "other").update(`${ts}\nother`).digest("base64")
                : r.signMode === "random"
                  ? r.randomSign
                  : undefined;
        if (signValue !== undefined) headers.set("sign", signValue);
        const hasBody = r.method !== "GET";
        const req = new Request(`http://bot.local${r.path}`, {
          method: r.method,
          headers,
          ...(hasBody ? { body: r.body } : {}),
        });
        const before = calls;
        const response = await handler(req);
        const authentic =
          r.timestamp !== undefined &&
          /^\d{1,16}$/.test(r.timestamp) &&
          Math.abs(T0 - Number(r.timestamp)) <= HOUR &&
          signValue === expectedSign(r.timestamp);
        const routed = r.method === "POST" && (r.path === "/hook" || r.path === "/hook/");
        if (authentic && routed) validRuns += 1;
        expect(response.status).toBeLessThan(500);
        if (calls > before) expect(authentic && routed).toBe(true);
        if (response.status === 200) expect(authentic && routed).toBe(true);
        if (!authentic && routed) expect([401, 403]).toContain(response.status);
        await response.text();
      }),
      { numRuns: 10_000 },
    );
    // The generator must reach the bot often enough for the property to mean something.
    expect(validRuns).toBeGreaterThan(300);
    expect(calls).toBeGreaterThan(50);
  }, 120_000);
});
