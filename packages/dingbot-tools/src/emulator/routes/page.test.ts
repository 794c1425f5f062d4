import { describe, expect, it } from "vitest";
import { createEmulator } from "../emulator.js";

describe("GET /_emulator/web/:name", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"])(
    "answers 404 to %s (a name Object.prototype has) instead of 500",
    async (name) => {
      const response = await createEmulator().app.request(`/_emulator/web/${name}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "no such asset" });
    },
  );

  it("still serves a real asset", async () => {
    const response = await createEmulator().app.request("/_emulator/web/render.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("javascript");
  });
});
