import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../emulator.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Sends a WebSocket handshake with a bad ticket and resets the connection without reading the answer. */
function handshakeAndReset(port: number, ticket: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `GET /connect?ticket=${ticket} HTTP/1.1\r\nHost: emu\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      socket.resetAndDestroy();
      resolve();
    });
    socket.on("error", () => resolve());
  });
}

describe("stream listen hook", () => {
  it("keeps running when clients reset the connection before reading a refused handshake", async () => {
    const errors: unknown[] = [];
    const onError = (error: unknown): void => {
      errors.push(error);
    };
    process.on("uncaughtException", onError);
    try {
      emulator = createEmulator();
      const url = await emulator.listen(0);
      const port = Number(new URL(url).port);
      for (let i = 0; i < 100; i += 1) await handshakeAndReset(port, `bad${i}`);
      const answer = await fetch(`${url}/_emulator/snapshot`);
      expect(answer.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(errors).toEqual([]);
    } finally {
      process.off("uncaughtException", onError);
    }
  });
});
