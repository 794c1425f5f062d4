/**
 * The HTTP transport's card path under random input: whatever arrives, nothing throws, bad input never gets a
 * 5xx, and no `bot.action` handler runs without DingTalk's card signature (checked against an oracle written
 * independently of protocol/card-signing.ts).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { T0 } from "../_fixtures.js";
import { Bot } from "../bot.js";
import { httpTransport } from "./http.js";

const APP_SECRET = "prop-test-app-secret-0123456789";
const API_SECRET = "prop-test-card-api-secret";
const HOUR = 3_600_000;

const expectedSign = (ts: string): string => createHmac("sha256", API_SECRET).update(ts).digest("base64");

const headerText = fc.stringMatching(/^[\x21-\x7e]{0,60}$/);
const timestamp = fc.oneof(
  { arbitrary: fc.integer({ min: -2 * HOUR, max: 2 * HOUR }).map((d) => String(T0 + d)), weight: 4 },
  fc.constantFrom(String(T0), String(T0 - HOUR), String(T0 + HOUR + 1), "0", "-1", "1e12"),
  headerText,
);
const callback = fc
  .record({
    actionIds: fc.array(fc.constantFrom("approve", "reject", "x"), { maxLength: 3 }),
    content: fc.constantFrom("ok", "ok", "ok", "not-json", "array", "absent"),
    outTrackId: fc.constantFrom("track-1", "track-1", ""),
  })
  .map(({ actionIds, content, outTrackId }) => {
    const body: Record<string, unknown> = { outTrackId, userId: "u1", type: "actionCallback" };
    if (content === "ok") body.content = JSON.stringify({ cardPrivateData: { actionIds, params: {} } });
    else if (content === "not-json") body.content = "{nope";
    else if (content === "array") body.content = "[]";
    return JSON.stringify(body);
  });
const body = fc.oneof(
  { arbitrary: callback, weight: 6 },
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.constant(""),
);
const request = fc.record({
  method: fc.constantFrom("POST", "POST", "POST", "POST", "GET", "PUT"),
  path: fc.constantFrom("/card-callback", "/card-callback", "/card-callback/", "/hook", "/card"),
  timestamp: fc.option(timestamp, { nil: undefined }),
  signMode: fc.constantFrom("valid", "valid", "valid", "robot-scheme", "random", "absent", "other-secret"),
  randomSign: headerText,
  body,
});

describe("httpTransport() card path under random input", () => {
  it("never throws, never answers 5xx for bad input, never runs an action without a valid card signature", async () => {
    const bot = new Bot({ now: () => T0 });
    let runs = 0;
    bot.action(
      () => true,
      (ctx) => {
        runs += 1;
        ctx.updateCard({ n: runs });
      },
    );
    const handler = httpTransport(bot, {
      appSecret: APP_SECRET,
      cardApiSecret: API_SECRET,
      now: () => T0,
      path: "/hook",
      maxBodyBytes: 2048,
      // Timestamps repeat across runs here; the replay guard has its own test.
      replay: false,
    });
    let authenticRuns = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers = new Headers();
        if (r.timestamp !== undefined) headers.set("x-ddpaas-signature-timestamp", r.timestamp);
        const ts = r.timestamp ?? "";
        const signValue =
          r.signMode === "valid"
            ? expectedSign(ts)
            : r.signMode === "robot-scheme"
              ? createHmac("sha256", API_SECRET).update(`${ts}\n${API_SECRET}`).digest("base64")
              : r.signMode === "other-secret"
                ? createHmac("sha256", "other").update(ts).digest("base64")
                : r.signMode === "random"
                  ? r.randomSign
                  : undefined;
        if (signValue !== undefined) headers.set("x-ddpaas-signature", signValue);
        const req = new Request(`http://bot.local${r.path}`, {
          method: r.method,
          headers,
          ...(r.method !== "GET" ? { body: r.body } : {}),
        });
        const before = runs;
        const response = await handler(req);
        const authentic =
          r.timestamp !== undefined &&
          /^\d{1,16}$/.test(r.timestamp) &&
          Math.abs(T0 - Number(r.timestamp)) <= HOUR &&
          signValue === expectedSign(r.timestamp);
        const routed = r.method === "POST" && r.path.startsWith("/card-callback");
        if (authentic && routed) authenticRuns += 1;
        expect(response.status).toBeLessThan(500);
        if (runs > before) expect(authentic && routed).toBe(true);
        if (!authentic && routed) expect([401, 403]).toContain(response.status);
        await response.text();
      }),
      { numRuns: 3000 },
    );
    // The property must not hold vacuously: enough authentic requests, and actions that really ran. Both
    // counts are random (about 200 and 40 per 3,000 runs, the second with a spread of ±7), so the bounds sit
    // far below them: 30 for the second failed about once in ten runs.
    expect(authenticRuns).toBeGreaterThan(100);
    expect(runs).toBeGreaterThan(10);
  }, 120_000);
});
