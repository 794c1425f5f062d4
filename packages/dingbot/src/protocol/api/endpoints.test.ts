import { describe, expect, expectTypeOf, it } from "vitest";
import { ENDPOINT_NAMES, ENDPOINTS, type EndpointRequest, type EndpointResponse } from "./endpoints.js";

describe("ENDPOINTS", () => {
  it("gives every endpoint its own method and path", () => {
    const keys = ENDPOINT_NAMES.map((name) => `${ENDPOINTS[name].method} ${ENDPOINTS[name].path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("puts tokens where each API generation reads them: query on oapi, header on api", () => {
    for (const name of ENDPOINT_NAMES) {
      const spec = ENDPOINTS[name];
      expect([spec.host, spec.auth], name).toSatisfy(
        ([host, auth]: [string, string]) =>
          auth === "none" || (host === "oapi" ? auth === "query" : auth === "header"),
      );
      expect(spec.path.startsWith("/v1.0/"), name).toBe(spec.host === "api");
    }
  });

  it("spells the 1:1 recall path with a lower-case oto, as DingTalk does", () => {
    expect(ENDPOINTS["robot.batchRecallOto"].path).toBe("/v1.0/robot/otoMessages/batchRecall");
    expect(ENDPOINTS["robot.batchSendOto"].path).toBe("/v1.0/robot/oToMessages/batchSend");
  });

  it("derives exact argument and answer types from the schemas", () => {
    expectTypeOf<EndpointRequest<"workNotification.send">["agent_id"]>().toEqualTypeOf<number>();
    expectTypeOf<
      EndpointResponse<"workNotification.getResult">["send_result"]["read_user_id_list"]
    >().toEqualTypeOf<string[]>();
    expectTypeOf<EndpointRequest<"robot.batchSendOto">>().toHaveProperty("msgParam").toEqualTypeOf<string>();
    expect(ENDPOINT_NAMES).toHaveLength(15);
  });
});
