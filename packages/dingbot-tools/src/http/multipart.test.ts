import { describe, expect, it } from "vitest";
import { MultipartParser, multipartBoundary, readMultipart } from "./multipart.js";

const B = "----dingbotBoundary42";

function form(parts: string[]): Buffer {
  return Buffer.from(`preamble\r\n${parts.map((p) => `--${B}\r\n${p}\r\n`).join("")}--${B}--\r\n`, "latin1");
}

function feed(body: Buffer, chunkSize: number): MultipartParser {
  const parser = new MultipartParser(B);
  for (let i = 0; i < body.byteLength; i += chunkSize) {
    if (parser.write(body.subarray(i, i + chunkSize)) === "stop") break;
  }
  parser.end();
  return parser;
}

const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString("latin1");

describe("multipart", () => {
  it("reads the boundary of a multipart Content-Type only", () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${B}`)).toBe(B);
    expect(multipartBoundary(`Multipart/Form-Data; charset=utf-8; boundary="${B}"`)).toBe(B);
    expect(multipartBoundary("application/json")).toBeUndefined();
    expect(multipartBoundary("multipart/form-data")).toBeUndefined();
    expect(multipartBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeUndefined();
  });

  it("parses fields and files whatever the chunking, boundary-like bytes included", () => {
    const body = form([
      'Content-Disposition: form-data; name="type"\r\n\r\nimage',
      `Content-Disposition: form-data; name="media"; filename="a \\"b\\".png"\r\nContent-Type: image/png\r\n\r\n\r\n--${B.slice(0, 10)}x\r\n--`,
      "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf\r\n\r\nPDF",
    ]);
    for (const size of [1, 2, 3, 7, 64, body.byteLength]) {
      const parser = feed(body, size);
      expect(parser.error, `chunk ${size}`).toBeUndefined();
      expect(parser.parts.map((p) => [p.name, p.fileName, p.contentType, text(p.chunks)])).toEqual([
        ["type", undefined, undefined, "image"],
        ["media", 'a "b".png', "image/png", `\r\n--${B.slice(0, 10)}x\r\n--`],
        ["f", "报告.pdf", undefined, "PDF"],
      ]);
    }
  });

  it("keeps a large file as the slices it arrived in", () => {
    const payload = Buffer.alloc(1024 * 1024, 7);
    const head = Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; name="media"; filename="x.bin"\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${B}--\r\n`);
    const parser = feed(Buffer.concat([head, payload, tail]), 65536);
    expect(parser.error).toBeUndefined();
    const [part] = parser.parts;
    expect(part?.size).toBe(payload.byteLength);
    expect(part?.chunks.length).toBeGreaterThan(10);
    expect(Buffer.concat(part!.chunks).equals(payload)).toBe(true);
  });

  it("refuses malformed forms with a reason", () => {
    expect(feed(Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx`), 4).error).toMatch(
      /closing boundary/,
    );
    expect(feed(Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`), 4).error).toMatch(
      /Content-Disposition/,
    );
    expect(feed(Buffer.from(`--${B}xx`), 4).error).toMatch(/CRLF/);
    const many = form(
      Array.from({ length: 21 }, (_, i) => `Content-Disposition: form-data; name="n${i}"\r\n\r\nv`),
    );
    expect(feed(many, 100).error).toMatch(/more than 20 parts/);
    expect(feed(Buffer.from(`--${B}\r\n${"X-Junk: y\r\n".repeat(1000)}`), 512).error).toMatch(/too long/);
  });

  it("stops at the cap while reading a request", async () => {
    const body = form([
      `Content-Disposition: form-data; name="media"; filename="a"\r\n\r\n${"z".repeat(5000)}`,
    ]);
    const request = () =>
      new Request("http://x/", {
        method: "POST",
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array(body));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
    expect(await readMultipart(request(), B, { limit: 1000 })).toMatchObject({
      ok: false,
      reason: "too-large",
    });
    const ok = await readMultipart(request(), B, { limit: 10_000 });
    expect(ok.ok && ok.parts[0]?.size).toBe(5000);
  });
});
