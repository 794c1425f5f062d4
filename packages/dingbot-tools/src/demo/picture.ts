/**
 * The picture a person sends the file bot in the demo: a small PNG (a few hundred bytes) drawn in code, so
 * the demo needs no image file and no image library.
 * @module
 */
import { crc32, deflateSync } from "node:zlib";

/** Width and height of {@link demoPicturePng}. */
export const DEMO_PICTURE_SIZE = { width: 64, height: 40 } as const;

/** A 64×40 PNG: a blue-to-green sky over a grey "server rack" of three boxes with one red light. */
export function demoPicturePng(): Uint8Array {
  const { width, height } = DEMO_PICTURE_SIZE;
  const stride = 1 + width * 3;
  const rows = Buffer.alloc(height * stride); // each row: filter byte 0, then RGB
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const rack = x >= 20 && x < 44 && y >= 8;
      const slot = rack && y % 10 >= 2 && y % 10 < 8 && x >= 23 && x < 41;
      const light = slot && x >= 37 && x < 40 && y >= 14 && y < 16;
      const sky: [number, number, number] = [50, 150 - y, 250 - y * 2];
      const rgb: readonly number[] = light ? [240, 60, 60] : slot ? [90, 96, 110] : rack ? [60, 64, 72] : sky;
      rows.set(rgb, y * stride + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.byteLength)), 8 + data.byteLength);
  return out;
}
