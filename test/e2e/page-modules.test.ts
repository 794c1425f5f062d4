/**
 * The chat page's scripts as modules (no browser, no server): each starts with `// @ts-check`, imports only
 * its neighbours in the flat web/ folder, and the import graph has no cycle (CONTRIBUTING's rule, which
 * test/architecture.test.ts checks for the TypeScript sources).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const WEB_DIR = fileURLToPath(new URL("../../packages/dingbot-tools/src/emulator/web/", import.meta.url));

/** Each script of the page → the modules it imports (relative specifiers, type-only JSDoc imports too). */
function importGraph(): Map<string, string[]> {
  const scripts = readdirSync(WEB_DIR).filter((name) => name.endsWith(".js"));
  return new Map(
    scripts.map((name) => {
      const text = readFileSync(`${WEB_DIR}${name}`, "utf8");
      const imports = [...text.matchAll(/\bfrom\s+"\.\/([^"]+)"|\bimport\("\.\/([^"]+)"\)/g)].map(
        (m) => (m[1] ?? m[2]) as string,
      );
      return [name, [...new Set(imports)]];
    }),
  );
}

/** The cycles of a graph, as "a.js → b.js → a.js" (depth first; one per back edge). */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      found.push([...path.slice(at), node].join(" → "));
      return;
    }
    if (done.has(node)) return;
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node);
  return found;
}

describe("chat page modules", () => {
  const graph = importGraph();

  it("are type-checked and import only each other", () => {
    expect(graph.has("app.js")).toBe(true);
    for (const [name, imports] of graph) {
      expect(readFileSync(`${WEB_DIR}${name}`, "utf8").startsWith("// @ts-check\n"), name).toBe(true);
      for (const imported of imports) expect(graph.has(imported), `${name} imports ./${imported}`).toBe(true);
    }
  });

  it("have no import cycle, JSDoc type imports included", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("are all reached from app.js (no dead module is served)", () => {
    const reached = new Set<string>();
    const walk = (name: string): void => {
      if (reached.has(name)) return;
      reached.add(name);
      for (const next of graph.get(name) ?? []) walk(next);
    };
    walk("app.js");
    expect([...graph.keys()].filter((name) => !reached.has(name))).toEqual([]);
  });

  it("finds a cycle when there is one (the checker's own test)", () => {
    const looped = new Map([
      ["a.js", ["b.js"]],
      ["b.js", ["a.js"]],
    ]);
    expect(cycles(looped)).toEqual(["a.js → b.js → a.js"]);
  });
});
