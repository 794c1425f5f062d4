/**
 * The durable alert relay: Alertmanager, Grafana, GitHub and plain JSON into DingTalk groups.
 * @module
 */

export { classifyFailure, type Verdict } from "./classify.js";
export {
  authWarnings,
  type ConfigProblem,
  isLoopbackHost,
  type LoadOptions,
  loadRelayConfig,
  parseRelayConfig,
  type RelayConfig,
  RelayConfigError,
  type ResolvedLimits,
  type ResolvedRobot,
  type ResolvedRoute,
} from "./config.js";
export type { SourceKind } from "./config-schema.js";
export { type Digest, foldDigest, parseDigestCounts } from "./digest.js";
export { compileGuard, isJsonContentType, type RouteGuard } from "./guard.js";
export { createRelayLogger, secretsOf } from "./log.js";
export { RelayCounter, RelayMetrics } from "./metrics.js";
export {
  compileRouteTemplates,
  createRelay,
  type Relay,
  RelayListenError,
  type RelayOptions,
} from "./relay.js";
export { createWebhookSender, type Sender, type WebhookSenderOptions } from "./sender.js";
export { openStore } from "./store/open.js";
export { EntryRejectedError, type RelayStore, StoreUnavailableError } from "./store/store.js";
export { TemplateError } from "./templates/engine.js";
export type * from "./types.js";
