/**
 * A query's parameters read as a URL's `searchParams` reads them, for a fast route: a `/robot/send` query has
 * three parameters, and building `URLSearchParams` (its list, then `querystring`'s unescape per part) was
 * ≈ 3 % of the emulator's `/robot/send` under load (issue 15). The common case (every escape valid UTF-8) is
 * decoded with `decodeURIComponent`; anything else is left to `URLSearchParams` itself, so the values are
 * always its values (a property test compares them).
 * @module
 */
import type { WebhookQuery } from "dingbot-sdk/protocol";

/** What a route reads of a query: the library's `webhookToken` takes it as it takes `URLSearchParams`. */
export type QueryParams = WebhookQuery;

/**
 * Reads a query string as `new URL(url).searchParams` would (a leading `?` of the text is part of the first
 * name there, where `new URLSearchParams(text)` would drop it).
 * @param query - the text after the URL's first `?`, without a fragment
 */
export function readQueryParams(query: string): QueryParams {
  const names: string[] = [];
  const values: string[] = [];
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf("&", start);
    if (end === -1) end = query.length;
    if (end > start) {
      const eq = query.indexOf("=", start);
      const split = eq === -1 || eq > end ? end : eq;
      const name = decodePart(query, start, split);
      const value = split === end ? "" : decodePart(query, split + 1, end);
      // A part decodeURIComponent cannot read (a bad escape, bad UTF-8) is URLSearchParams' to decode.
      if (name === undefined || value === undefined) return formParams(query);
      names.push(name);
      values.push(value);
    }
    start = end + 1;
  }
  return new ParsedParams(names, values);
}

class ParsedParams implements QueryParams {
  constructor(
    private readonly names: readonly string[],
    private readonly values: readonly string[],
  ) {}

  get(name: string): string | null {
    const i = this.names.indexOf(name);
    return i === -1 ? null : this.values[i]!;
  }
}

/** `+` as a space, then percent-escapes; undefined when an escape is not valid UTF-8. */
function decodePart(query: string, start: number, end: number): string | undefined {
  let part = query.slice(start, end);
  if (part.includes("+")) part = part.replaceAll("+", " ");
  if (!part.includes("%")) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** `URLSearchParams` of a query as a URL's own parser gives them (it strips no leading `?`). */
function formParams(query: string): URLSearchParams {
  return query.startsWith("?") ? new URLSearchParams(`&${query}`) : new URLSearchParams(query);
}
