import { describe, expect, it } from "vitest";
import { sign, signWebhookUrl, verifySignature } from "./signing.js";

// Vectors computed independently with Python 3.11's hmac module, exactly as the seeds do it:
//   h = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
//   b = base64.b64encode(h).decode(); q = urllib.parse.quote_plus(b)
const vectors = [
  {
    secret: "this is secret",
    ts: "1577262236757",
    b64: "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=",
    quoted: "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D",
  },
  {
    secret: "SEC4c4262656fe9585e82ed9004f3688d0ff1257aee8e79de3c1c896db7d2b3f30d",
    ts: "1690362101894",
    b64: "5A26qpmqRZ2ppIQHoT66kwuszKCTQ/qWf7GkvF4Q9Ns=",
    quoted: "5A26qpmqRZ2ppIQHoT66kwuszKCTQ%2FqWf7GkvF4Q9Ns%3D",
  },
  {
    secret: "密钥🔑",
    ts: "1700000000000",
    b64: "3C03sWTx5Mk+79s2nmP7pDaBtQcj7EU5gerEbVEAP+0=",
    quoted: "3C03sWTx5Mk%2B79s2nmP7pDaBtQcj7EU5gerEbVEAP%2B0%3D",
  },
];

describe("sign()", () => {
  it.each(vectors)("matches Python's hmac for secret $secret", ({ secret, ts, b64 }) => {
    expect(sign(secret, ts)).toBe(b64);
    expect(sign(secret, Number(ts))).toBe(b64);
  });
});

describe("signWebhookUrl()", () => {
  it.each(vectors)(
    "puts the URL-encoded signature in the query like quote_plus ($ts)",
    ({ secret, ts, quoted }) => {
      const url = signWebhookUrl("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, Number(ts));
      expect(url).toBe(
        `https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=${ts}&sign=${quoted}`,
      );
    },
  );
});

describe("verifySignature()", () => {
  const { secret, ts, b64 } = vectors[0]!;
  const now = Number(ts);
  it("accepts a correct signature", () => {
    expect(verifySignature(secret, ts, b64, now)).toEqual({ ok: true });
  });
  it("accepts timestamps up to one hour away in either direction", () => {
    expect(verifySignature(secret, ts, b64, now + 3_600_000).ok).toBe(true);
    expect(verifySignature(secret, ts, b64, now - 3_600_000).ok).toBe(true);
  });
  it("rejects stale and future timestamps", () => {
    expect(verifySignature(secret, ts, b64, now + 3_600_001)).toEqual({ ok: false, reason: "stale" });
    expect(verifySignature(secret, ts, b64, now - 3_600_001)).toEqual({ ok: false, reason: "stale" });
  });
  it("rejects missing, malformed and wrong signatures", () => {
    expect(verifySignature(secret, undefined, b64, now)).toEqual({ ok: false, reason: "missing" });
    expect(verifySignature(secret, ts, "", now)).toEqual({ ok: false, reason: "missing" });
    expect(verifySignature(secret, "12ab", b64, now)).toEqual({ ok: false, reason: "malformed" });
    expect(verifySignature(secret, ts, "!!not base64!!", now)).toEqual({ ok: false, reason: "malformed" });
    expect(verifySignature("other secret", ts, b64, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifySignature(secret, ts, "AAAA", now)).toEqual({ ok: false, reason: "mismatch" });
  });
});
