import { describe, expect, it } from "vitest";
import { MediaStore } from "./media-store.js";

function store(maxStoredBytes = 1000) {
  const clock = { now: 1_800_000_000_000 };
  const media = new MediaStore({
    now: () => clock.now,
    codeTtlMs: 3_600_000,
    urlTtlMs: 300_000,
    maxStoredBytes,
  });
  return { media, clock };
}

const bytes = (n: number) => [new Uint8Array(n)];

describe("MediaStore", () => {
  it("redeems a code for its robot only, until it expires", () => {
    const { media, clock } = store();
    const file = media.add({
      fileName: "a.png",
      contentType: "image/png",
      origin: "person",
      chunks: bytes(3),
    });
    const { code } = media.mintCode(file.id, "robotA");
    expect(media.redeem(code, "robotA")).toMatchObject({ ok: true, file: { id: file.id, size: 3 } });
    expect(media.redeem(code, "robotB")).toEqual({ ok: false, problem: "other-robot" });
    expect(media.redeem("nope", "robotA")).toEqual({ ok: false, problem: "unknown" });
    clock.now += 3_600_000;
    expect(media.redeem(code, "robotA").ok).toBe(true);
    clock.now += 1;
    expect(media.redeem(code, "robotA")).toEqual({ ok: false, problem: "expired" });
  });

  it("signs URLs that expire and cannot be forged or moved to another file", () => {
    const { media, clock } = store();
    const a = media.add({
      fileName: "报告 1.pdf",
      contentType: "application/pdf",
      origin: "person",
      chunks: bytes(1),
    });
    const b = media.add({
      fileName: "b.pdf",
      contentType: "application/pdf",
      origin: "person",
      chunks: bytes(1),
    });
    const url = new URL(media.signedUrl("http://127.0.0.1:1", a));
    expect(url.pathname).toBe(`/oss/robot-files/${a.id}/${encodeURIComponent("报告 1.pdf")}`);
    const q = url.searchParams;
    expect(media.checkUrl(a.id, q.get("Expires"), q.get("Signature"))).toMatchObject({ ok: true });
    expect(media.checkUrl(b.id, q.get("Expires"), q.get("Signature"))).toEqual({
      ok: false,
      problem: "signature",
    });
    expect(media.checkUrl(a.id, String(Number(q.get("Expires")) + 1), q.get("Signature")).ok).toBe(false);
    expect(media.checkUrl(a.id, null, q.get("Signature")).ok).toBe(false);
    clock.now += 300_001;
    expect(media.checkUrl(a.id, q.get("Expires"), q.get("Signature"))).toEqual({
      ok: false,
      problem: "expired",
    });
  });

  it("forgets the oldest files past its cap, and everything on clear", () => {
    const { media } = store(10);
    const first = media.add({ fileName: "1", contentType: "x/y", origin: "person", chunks: bytes(6) });
    const second = media.add({ fileName: "2", contentType: "x/y", origin: "robot-upload", chunks: bytes(4) });
    expect(second.id.startsWith("@lA")).toBe(true);
    expect(media.storedBytes).toBe(10);
    const code = media.mintCode(first.id, "r").code;
    media.add({ fileName: "3", contentType: "x/y", origin: "person", chunks: bytes(5) });
    expect(media.get(first.id)).toBeUndefined();
    expect(media.get(second.id, "robot-upload")).toBeDefined();
    expect(media.get(second.id, "person")).toBeUndefined();
    expect(media.storedBytes).toBe(9);
    expect(media.redeem(code, "r")).toEqual({ ok: false, problem: "file-gone" });
    media.clear();
    expect(media.storedBytes).toBe(0);
    expect(media.files.size).toBe(0);
  });
});
