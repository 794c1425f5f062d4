/**
 * What the robot OpenAPI and work notifications need from the app client: one checked call of the
 * protocol's endpoint table. They depend on this small interface instead of `AppClient`, which builds them,
 * so no import circle runs between app-client.ts and its parts (and tests can pass any caller).
 * @module
 */
import type { EndpointName, EndpointRequest, EndpointResponse } from "../protocol/api/endpoints.js";

/** Options of one call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Calls endpoints of the protocol's table; `AppClient` is one. */
export interface EndpointCaller {
  /** The app's AgentId, when it has one (work notifications need it). */
  readonly agentId?: number | undefined;
  /**
   * Calls an endpoint with checked arguments and returns its answer.
   * @param name - e.g. `"workNotification.send"`
   * @param args - the endpoint's parameters
   */
  call<K extends EndpointName>(
    name: K,
    args: EndpointRequest<K>,
    options?: CallOptions,
  ): Promise<EndpointResponse<K>>;
}
