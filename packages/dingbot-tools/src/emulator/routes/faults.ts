/**
 * `/_emulator/faults`: inject 5xx answers, connection resets, delays and errcodes into `/robot/send` and
 * `/robot/sendBySession`, for the next N requests of one robot or of every robot.
 * @module
 */
import type { RouteInstaller } from "../context.js";
import { parseFaultInput } from "../faults.js";
import { control, readControlJson } from "./control-http.js";
import { ControlError } from "./control-input.js";

/** Installs the fault control routes. */
export const installFaults: RouteInstaller = (app, ctx) => {
  const faults = () => ctx.webhook.faults;
  app.post(
    "/_emulator/faults",
    control(async (c) => {
      const parsed = parseFaultInput(await readControlJson(c));
      if (!parsed.ok) throw new ControlError(400, parsed.error);
      return c.json(faults().add(parsed.fault), 201);
    }),
  );
  app.get(
    "/_emulator/faults",
    control((c) => c.json(faults().list())),
  );
  app.delete(
    "/_emulator/faults",
    control((c) => {
      faults().clear();
      return c.json({ ok: true });
    }),
  );
  app.delete(
    "/_emulator/faults/:id",
    control((c) => {
      if (!faults().remove(c.req.param("id") ?? "")) throw new ControlError(404, "no fault with this id");
      return c.json({ ok: true });
    }),
  );
};
