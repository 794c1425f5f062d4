import { afterEach, describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../emulator.js";

const body = JSON.stringify({ msgtype: "text", text: { content: "x" } });
const headers = { "content-type": "application/json" };

let running: Emulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function setup() {
  const emulator = createEmulator();
  emulator.store.createRobot({ accessToken: "a" });
  emulator.store.createRobot({ accessToken: "b" });
  const addFault = async (fault: unknown) => {
    const res = await emulator.app.request("/_emulator/faults", {
      method: "POST",
      headers,
      body: JSON.stringify(fault),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const send = (token: string) =>
    emulator.app.request(`/robot/send?access_token=${token}`, { method: "POST", headers, body });
  return { emulator, addFault, send };
}

describe("faults", () => {
  it("answers HTTP 5xx for the next N requests of one robot, then behaves normally", async () => {
    const { addFault, send, emulator } = setup();
    const created = await addFault({ accessToken: "a", kind: "http5xx", count: 2, status: 502 });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: "http5xx", remaining: 2, status: 502, accessToken: "a" });
    expect((await send("b")).status).toBe(200);
    expect((await send("a")).status).toBe(502);
    expect((await send("a")).status).toBe(502);
    const after = await send("a");
    expect(await after.json()).toEqual({ errcode: 0, errmsg: "ok" });
    expect(emulator.store.messages).toHaveLength(2);
    expect(emulator.store.rejections.map((r) => r.reason)).toEqual(["fault", "fault"]);
  });

  it("answers a given errcode (default errmsg from DingTalk's wording) for global faults", async () => {
    const { addFault, send } = setup();
    await addFault({ kind: "errcode", errcode: 410100 });
    await addFault({ kind: "errcode", errcode: -1, errmsg: "系统繁忙啦" });
    expect(await (await send("b")).json()).toEqual({
      errcode: 410100,
      errmsg: "发送速度太快而限流，请降低发送速度",
    });
    expect(await (await send("a")).json()).toEqual({ errcode: -1, errmsg: "系统繁忙啦" });
    expect(await (await send("a")).json()).toEqual({ errcode: 0, errmsg: "ok" });
  });

  it("delays a request, then handles it normally", async () => {
    const { addFault, send, emulator } = setup();
    await addFault({ kind: "delay", delayMs: 300 });
    let settled = false;
    const pending = Promise.resolve(send("a")).then((response) => {
      settled = true;
      return response;
    });
    // Ordering, not a stopwatch: a 20 ms timer fires before the fault's 300 ms one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    expect(emulator.store.messages).toHaveLength(0);
    expect(await (await pending).json()).toEqual({ errcode: 0, errmsg: "ok" });
    expect(emulator.store.messages).toHaveLength(1);
  });

  it("lists pending faults and clears one or all", async () => {
    const { addFault, emulator } = setup();
    const one = await addFault({ kind: "http5xx" });
    await addFault({ kind: "reset", accessToken: "a", count: 3 });
    const list = async () => (await (await emulator.app.request("/_emulator/faults")).json()) as unknown[];
    expect(await list()).toHaveLength(2);
    expect(
      (await emulator.app.request(`/_emulator/faults/${one.json.id}`, { method: "DELETE" })).status,
    ).toBe(200);
    expect(
      (await emulator.app.request(`/_emulator/faults/${one.json.id}`, { method: "DELETE" })).status,
    ).toBe(404);
    expect(await list()).toHaveLength(1);
    expect((await emulator.app.request("/_emulator/faults", { method: "DELETE" })).status).toBe(200);
    expect(await list()).toHaveLength(0);
  });

  it.each([
    [{ kind: "explode" }],
    [{ kind: "http5xx", status: 404 }],
    [{ kind: "delay" }],
    [{ kind: "errcode" }],
    [{ kind: "http5xx", count: 0 }],
    [{ kind: "http5xx", accessToken: "" }],
  ])("refuses bad fault %j with 400", async (fault) => {
    const { addFault } = setup();
    const res = await addFault(fault);
    expect(res.status).toBe(400);
    expect(typeof res.json.error).toBe("string");
  });

  it("drops the TCP connection without an answer for a reset fault, and keeps serving", async () => {
    running = createEmulator();
    running.store.createRobot({ accessToken: "a" });
    const url = await running.listen(0);
    const res = await fetch(`${url}/_emulator/faults`, {
      method: "POST",
      headers,
      body: JSON.stringify({ kind: "reset", accessToken: "a" }),
    });
    expect(res.status).toBe(201);
    await expect(
      fetch(`${url}/robot/send?access_token=a`, { method: "POST", headers, body }),
    ).rejects.toThrow();
    const ok = await fetch(`${url}/robot/send?access_token=a`, { method: "POST", headers, body });
    expect(await ok.json()).toEqual({ errcode: 0, errmsg: "ok" });
  });
});
