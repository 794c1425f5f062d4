/**
 * Source adapters by name.
 * @module
 */
import type { SourceKind } from "../config-schema.js";
import type { SourceResult } from "../types.js";
import { parseAlertmanager } from "./alertmanager.js";
import { parseGeneric } from "./generic.js";
import { parseGithub } from "./github.js";
import { parseGrafana } from "./grafana.js";

export { verifyGithubSignature } from "./github.js";

/**
 * Normalizes a parsed webhook body for a source.
 * @param source - the route's source
 * @param body - parsed JSON
 * @param header - reads a request header (GitHub needs its event name); called only when needed
 */
export function parseSource(
  source: SourceKind,
  body: unknown,
  header: (name: string) => string | undefined,
): SourceResult {
  switch (source) {
    case "alertmanager":
      return parseAlertmanager(body);
    case "grafana":
      return parseGrafana(body);
    case "github":
      return parseGithub(header("x-github-event"), body);
    case "generic":
      return parseGeneric(body);
  }
}
