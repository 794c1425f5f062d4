import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkIp, checkKeywords, checkSign, parseIpWhitelist } from "./security.js";

describe("checkSign", () => {
  const secret = "SECtest";
  const now = 1_700_000_000_000;
  const good = (ts: number) => createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64");

  it("accepts a right signature at the edges of the ±1 h window", () => {
    expect(checkSign(secret, String(now - 3_600_000), good(now - 3_600_000), now)).toBeUndefined();
    expect(checkSign(secret, String(now + 3_600_000), good(now + 3_600_000), now)).toBeUndefined();
  });

  it("tells a bad timestamp from a bad signature", () => {
    expect(checkSign(secret, String(now - 3_600_001), good(now - 3_600_001), now)?.errmsg).toBe(
      "invalid timestamp",
    );
    expect(checkSign(secret, "12abc", good(now), now)?.errmsg).toBe("invalid timestamp");
    expect(checkSign(secret, String(now), good(now + 1), now)?.errmsg).toBe("sign not match");
    expect(checkSign(secret, String(now), "not base64!", now)?.errmsg).toBe("sign not match");
    expect(checkSign(secret, String(now), undefined, now)?.errmsg).toBe("sign not match");
  });

  it("answers a repeated good pair as the first time, the window judged again", () => {
    const ts = String(now);
    const sig = good(now);
    for (let i = 0; i < 3; i++) expect(checkSign(secret, ts, sig, now)).toBeUndefined();
    // Remembered, but out of the window by now, and for another secret it is no signature at all.
    expect(checkSign(secret, ts, sig, now + 3_600_001)?.errmsg).toBe("invalid timestamp");
    expect(checkSign(secret, ts, sig, now - 3_600_001)?.errmsg).toBe("invalid timestamp");
    expect(checkSign("SECother", ts, sig, now)?.errmsg).toBe("sign not match");
    expect(checkSign(secret, ts, sig, now)).toBeUndefined();
    // One character off, or another timestamp with the remembered signature, is refused.
    const off = `${sig.slice(0, 10)}${sig[10] === "A" ? "B" : "A"}${sig.slice(11)}`;
    expect(checkSign(secret, ts, off, now)?.errmsg).toBe("sign not match");
    expect(checkSign(secret, String(now + 1), sig, now)?.errmsg).toBe("sign not match");
    expect(checkSign(secret, ts, sig, now)).toBeUndefined();
  });
});

describe("checkKeywords", () => {
  it("searches nested strings of the msgtype object only", () => {
    const body = { msgtype: "feedCard", feedCard: { links: [{ title: "a", messageURL: "https://x/告警" }] } };
    expect(checkKeywords(["告警"], body)).toBeUndefined();
    expect(checkKeywords(["feedCard"], body)?.reason).toBe("keyword");
    expect(checkKeywords([], body)).toBeUndefined();
  });
});

describe("IP whitelist", () => {
  it("parses addresses, CIDR and ranges for IPv4 and IPv6", () => {
    const parsed = parseIpWhitelist([
      "1.2.3.4",
      "10.0.0.0/8",
      "192.168.0.10-192.168.0.20",
      "2001:db8::/32",
      "::1",
    ]);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(
      ["1.2.3.4", "10.255.0.1", "192.168.0.15", "2001:db8::5", "::1", "::ffff:10.0.0.1"].map((a) =>
        parsed.list.allows(a),
      ),
    ).toEqual([true, true, true, true, true, true]);
    expect(
      ["1.2.3.5", "11.0.0.1", "192.168.0.21", "2001:db9::1", "nonsense"].map((a) => parsed.list.allows(a)),
    ).toEqual([false, false, false, false, false]);
  });

  it.each(["300.1.1.1", "10.0.0.0/40", "1.2.3.4-::1", "host.example", ""])("refuses %j", (entry) => {
    expect(parseIpWhitelist([entry])).toEqual({ ok: false, bad: entry });
  });

  it("refuses an unknown address when a whitelist is set", () => {
    expect(checkIp(["127.0.0.1"], undefined)?.errmsg).toBe("ip unknown not in whitelist");
    expect(checkIp([], undefined)).toBeUndefined();
  });
});
