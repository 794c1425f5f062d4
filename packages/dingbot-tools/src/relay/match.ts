/**
 * Route label matchers, Alertmanager-style: `value` equals, `"!=value"`, `"=~regex"` (anchored), `"!~regex"`.
 * A missing label is the empty string, as in Alertmanager.
 * @module
 */

/** A compiled matcher set: true when an alert's labels satisfy every matcher. */
export type LabelPredicate = (labels: Record<string, string>) => boolean;

/**
 * Compiles a route's `match` map.
 * @param match - label → matcher (numbers and booleans compare as strings)
 * @throws SyntaxError for an invalid regex (the config schema reports it first)
 */
export function compileMatchers(
  match: Record<string, string | number | boolean> | undefined,
): LabelPredicate {
  const entries = Object.entries(match ?? {}).map(([label, raw]) => {
    const value = String(raw);
    if (value.startsWith("=~")) {
      const re = new RegExp(`^(?:${value.slice(2)})$`);
      return (labels: Record<string, string>) => re.test(labels[label] ?? "");
    }
    if (value.startsWith("!~")) {
      const re = new RegExp(`^(?:${value.slice(2)})$`);
      return (labels: Record<string, string>) => !re.test(labels[label] ?? "");
    }
    if (value.startsWith("!=")) {
      const expected = value.slice(2);
      return (labels: Record<string, string>) => (labels[label] ?? "") !== expected;
    }
    return (labels: Record<string, string>) => (labels[label] ?? "") === value;
  });
  return (labels) => entries.every((test) => test(labels));
}
