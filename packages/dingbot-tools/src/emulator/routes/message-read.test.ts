import { describe, expect, it } from "vitest";
import { endlessBody } from "../../../../../test/helpers/bodies.js";
import { createEmulator } from "../emulator.js";

describe("POST /_emulator/messages/:id/read", () => {
  it("answers 413 to an endless body instead of waiting for its end", async () => {
    const emulator = createEmulator();
    const response = await emulator.app.request("http://emu.test/_emulator/messages/m1/read", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: endlessBody(1_200_000),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it("answers 400 with a reason to a body that is not JSON", async () => {
    const emulator = createEmulator();
    const response = await emulator.app.request("http://emu.test/_emulator/messages/m1/read", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/JSON/);
  });
});
