/**
 * Valid-looking values generated from the protocol's zod schemas: each schema goes through
 * `z.toJSONSchema` and a small JSON-Schema walker builds a fast-check arbitrary. `hints` are values known to
 * the server under test (real robot codes, user ids…) offered for a property name, so generated requests
 * get past the existence checks and reach the deeper code.
 */
import fc from "fast-check";
import { type ZodType, z } from "zod";

/** A JSON Schema node, as z.toJSONSchema writes it (the subset the protocol uses). */
interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: boolean | Node;
  items?: Node;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  oneOf?: Node[];
  anyOf?: Node[];
  allOf?: Node[];
  $ref?: string;
  $defs?: Record<string, Node>;
}

/** Known-good values per property name. */
export type Hints = Record<string, readonly unknown[]>;

/** Strings that tend to find bugs in string handling. */
export const NASTY_STRINGS = [
  "",
  " ",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e309",
  "9007199254740993",
  "%",
  "%zz",
  "%00",
  "\u0000",
  "\ud800",
  "\ufeff",
  "a\r\nSet-Cookie: x=1",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "{{ 7*7 }}",
  "{% raw %}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the point of this input
  "${process.env}",
  "钉钉😀\u202e",
  "x".repeat(1000),
] as const;

const nastyString = fc.constantFrom(...NASTY_STRINGS);

function stringArb(node: Node): fc.Arbitrary<string> {
  const min = node.minLength ?? 0;
  const max = Math.max(min, Math.min(node.maxLength ?? 40, 40));
  return fc.oneof(
    { arbitrary: fc.string({ minLength: min, maxLength: max }), weight: 4 },
    { arbitrary: fc.string({ unit: "grapheme", minLength: min, maxLength: max }), weight: 2 },
    { arbitrary: nastyString, weight: 1 },
  );
}

function numberArb(node: Node, integer: boolean): fc.Arbitrary<number> {
  const min = node.minimum ?? -1e12;
  const max = node.maximum ?? 1e12;
  const base = integer
    ? fc.oneof(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }),
      )
    : fc.double({ min: Math.max(min, -1e12), max: Math.min(max, 1e12), noNaN: true });
  return fc.oneof({ arbitrary: base, weight: 5 }, fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 53), 1.5));
}

function resolve(node: Node, root: Node): Node {
  if (!node.$ref) return node;
  const name = node.$ref.replace(/^#\/\$defs\//, "");
  return root.$defs?.[name] ?? {};
}

/** Whether a hint fits a node's type (the same property name can mean different things in a union). */
function fits(node: Node, value: unknown): boolean {
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.length === 0) return true;
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  return types.some((t) => t === actual || (t === "integer" && actual === "number"));
}

function build(
  node: Node,
  root: Node,
  hints: Hints,
  key: string | undefined,
  depth: number,
): fc.Arbitrary<unknown> {
  node = resolve(node, root);
  const hinted = key !== undefined ? hints[key]?.filter((value) => fits(node, value)) : undefined;
  const inner = buildPlain(node, root, hints, depth);
  if (hinted && hinted.length > 0) {
    return fc.oneof({ arbitrary: fc.constantFrom(...hinted), weight: 6 }, { arbitrary: inner, weight: 1 });
  }
  return inner;
}

function buildPlain(node: Node, root: Node, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if (node.const !== undefined) return fc.constant(node.const);
  if (node.enum) return fc.constantFrom(...node.enum);
  const choices = node.oneOf ?? node.anyOf;
  if (choices) return fc.oneof(...choices.map((c) => build(c, root, hints, undefined, depth)));
  if (node.allOf && node.allOf.length > 0) return build(node.allOf[0] as Node, root, hints, undefined, depth);
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.length > 1)
    return fc.oneof(...types.map((t) => buildPlain({ ...node, type: t }, root, hints, depth)));
  switch (types[0]) {
    case "string":
      return stringArb(node);
    case "integer":
      return numberArb(node, true);
    case "number":
      return numberArb(node, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const item = node.items
        ? build(node.items, root, hints, undefined, depth + 1)
        : fc.jsonValue({ maxDepth: 1 });
      const minLength = node.minItems ?? 0;
      return fc.array(item, { minLength, maxLength: Math.max(minLength, Math.min(node.maxItems ?? 4, 4)) });
    }
    case "object": {
      const properties = node.properties ?? {};
      const required = new Set(node.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, child] of Object.entries(properties))
        record[name] = build(child, root, hints, name, depth + 1);
      const requiredKeys = Object.keys(properties).filter((name) => required.has(name));
      const base = fc.record(record, { requiredKeys });
      if (node.additionalProperties === false || depth > 3) return base;
      // Loose objects accept unknown keys: sometimes send a few.
      return fc
        .tuple(
          base,
          fc.option(
            fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
            { freq: 4 },
          ),
        )
        .map(([value, extra]) => (extra ? { ...extra, ...value } : value));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * An arbitrary of values that (mostly) satisfy `schema`.
 * @param schema - a zod schema of the protocol
 * @param hints - known-good values per property name
 */
export function fromSchema(schema: ZodType, hints: Hints = {}): fc.Arbitrary<unknown> {
  const root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Node;
  return build(root, root, hints, undefined, 0);
}
