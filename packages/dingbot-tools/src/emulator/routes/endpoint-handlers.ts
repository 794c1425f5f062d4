/**
 * The contract between the app-API router (`app-api.ts`) and its handler tables (oauth, topapi, robot
 * OpenAPI): what a handler receives and returns, and the mapped type that keeps the tables complete. Its
 * own module so the tables need not import the router that imports them.
 * @module
 */
import type { EndpointAnswer, EndpointName, EndpointRequest } from "dingbot-sdk/protocol";
import type { EmulatorContext } from "../context.js";
import type { AppRecord } from "../store.js";

/** What a handler receives. */
export interface HandlerInput<K extends EndpointName> {
  args: EndpointRequest<K>;
  /** The app whose token was presented (undefined for the token endpoints themselves). */
  app: AppRecord | undefined;
  ctx: EmulatorContext;
  now: number;
}

/** Implements one endpoint; throws `DingTalkRefusal` (app-api-errors.ts) to refuse. */
export type EndpointHandler<K extends EndpointName> = (input: HandlerInput<K>) => EndpointAnswer<K>;

/**
 * One handler per endpoint of the protocol's `ENDPOINTS` table: adding an endpoint to the table fails
 * compilation until the emulator implements it.
 */
export type EndpointHandlers = { [K in EndpointName]: EndpointHandler<K> };
