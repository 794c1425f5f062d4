/**
 * Test fixture (not built, not shipped): random mutations of a message, for the property tests that hold a
 * hand-written fast path to its zod schema's exact answer (read-inbound, read-outbound).
 * @module
 */
import fc from "fast-check";
import { isJsonObject } from "./json.js";

/**
 * Every key of `base` and of its nested objects, each replaced by one of `values` (or removed: `undefined`),
 * at most four at a time, plus the `extraKeys`; the result is built as `JSON.parse` builds values.
 * @param base - a valid message
 * @param nested - for each nested object of `base`, the keys to mutate inside it
 * @param values - the replacement values, right for some fields and wrong for others
 * @param extraKeys - keys the schema does not know, added at the top level
 */
export function mutationsOf<T extends Record<string, unknown>>(
  base: T,
  nested: Record<string, string[]>,
  values: fc.Arbitrary<unknown>,
  extraKeys: readonly string[] = ["extra"],
): fc.Arbitrary<Record<string, unknown>> {
  const keys = [...Object.keys(base), ...Object.values(nested).flat(), ...extraKeys];
  return fc.dictionary(fc.constantFrom(...keys), values, { maxKeys: 4 }).map((changes) => {
    const value: Record<string, unknown> = structuredClone(base);
    for (const [key, replacement] of Object.entries(changes)) {
      const parent = Object.entries(nested).find(([, inner]) => inner.includes(key))?.[0];
      const inner = parent === undefined ? undefined : value[parent];
      // Only into an object: JSON has no arrays with named keys.
      const target = isJsonObject(inner) ? inner : value;
      if (replacement === undefined) delete target[key];
      else target[key] = replacement;
    }
    // As JSON.parse makes them: fast-check's records have no prototype.
    return structuredClone(value);
  });
}
