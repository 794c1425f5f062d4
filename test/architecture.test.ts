/**
 * Module boundaries of design.md B3, checked on every import specifier in the source tree.
 * The emulator must stay an independent implementation of the protocol, so it may import only
 * dingbot/protocol from the library; protocol/ is pure; client/ never knows about bots or tools.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIB = join(ROOT, "packages/dingbot/src");
const TOOLS = join(ROOT, "packages/dingbot-tools/src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    // Test files, and `_*.ts` fixtures: tsconfig.build.json leaves those out of the build, so they are test code.
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !name.startsWith("_") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found = [
    ...text.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return found.map((m) => (m[1] ?? m[2]) as string);
}

/** Every import of the files under `dir` that `allowed` refuses, as "file → specifier". */
function violations(dir: string, allowed: (specifier: string, file: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((file) =>
    importsOf(file)
      .filter((specifier) => !allowed(specifier, file))
      .map((specifier) => `${relative(ROOT, file)} → ${specifier}`),
  );
}

const resolvesInto = (specifier: string, file: string, dir: string): boolean =>
  specifier.startsWith(".") && join(file, "..", specifier).startsWith(dir);

/** Every module specifier in a file, type-only imports and re-exports included (they are edges too). */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found = [
    ...text.matchAll(
      /(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|(?:^|[\s;])import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    ),
  ];
  return found.map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

/** The source file a specifier names: relative `.js` → `.ts` (or a folder's index.ts), `dingbot-sdk[/x]` → its src. */
function resolveSpecifier(specifier: string, file: string, files: ReadonlySet<string>): string | undefined {
  let base: string;
  if (specifier.startsWith(".")) base = join(file, "..", specifier);
  else if (specifier === "dingbot-sdk") base = join(LIB, "index");
  else if (specifier.startsWith("dingbot-sdk/")) base = join(LIB, specifier.slice("dingbot-sdk/".length));
  else return undefined;
  const stem = base.replace(/\.(?:js|ts)$/, "");
  return [`${stem}.ts`, join(stem, "index.ts")].find((candidate) => files.has(candidate));
}

/**
 * The import cycles of the source files (tests excluded) of both packages: for every edge inside a
 * strongly connected component, the shortest way back, as "a.ts → b.ts → a.ts" from the alphabetically
 * first file. One line per distinct cycle.
 */
function importCycles(): string[] {
  const files = [...sourceFiles(LIB), ...sourceFiles(TOOLS)];
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiersOf(file)
      .map((s) => resolveSpecifier(s, file, known))
      .filter((t): t is string => t !== undefined);
    edges.set(file, [...new Set(targets)]);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const component = new Map<string, number>();
  const stack: string[] = [];
  let counter = 0;
  let components = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (!component.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      for (;;) {
        const member = stack.pop()!;
        component.set(member, components);
        if (member === node) break;
      }
      components += 1;
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  /** Shortest path from `from` to `to` inside one component (breadth first). */
  const pathBack = (from: string, to: string): string[] => {
    const previous = new Map<string, string>([[from, from]]);
    const queue = [from];
    while (queue.length > 0) {
      const node = queue.shift()!;
      if (node === to) break;
      for (const next of edges.get(node) ?? []) {
        if (previous.has(next) || component.get(next) !== component.get(from)) continue;
        previous.set(next, node);
        queue.push(next);
      }
    }
    const path = [to];
    while (path[0] !== from) path.unshift(previous.get(path[0]!)!);
    return path;
  };
  const cycles = new Set<string>();
  for (const [from, targets] of edges) {
    for (const to of targets) {
      if (component.get(from) !== component.get(to)) continue;
      const loop = from === to ? [from] : [from, ...pathBack(to, from).slice(0, -1)];
      const names = loop.map((f) => relative(ROOT, f));
      const start = names.indexOf([...names].sort()[0]!);
      const rotated = [...names.slice(start), ...names.slice(0, start)];
      cycles.add([...rotated, rotated[0]].join(" → "));
    }
  }
  return [...cycles].sort();
}

describe("module boundaries", () => {
  it("keeps protocol/ pure: node:crypto, zod and itself only", () => {
    const dir = join(LIB, "protocol");
    expect(violations(dir, (s, f) => s === "node:crypto" || s === "zod" || resolvesInto(s, f, dir))).toEqual(
      [],
    );
  });

  it("keeps client/ free of bot/ and of the tools package", () => {
    const dir = join(LIB, "client");
    expect(
      violations(dir, (s, f) => !resolvesInto(s, f, join(LIB, "bot")) && !s.startsWith("dingbot-sdk")),
    ).toEqual([]);
  });

  it("lets the emulator use only dingbot/protocol from the library, and of the tools only the shared http/", () => {
    const dir = join(TOOLS, "emulator");
    expect(
      violations(dir, (s, f) =>
        s.startsWith("dingbot-sdk")
          ? s === "dingbot-sdk/protocol"
          : !s.startsWith(".") || resolvesInto(s, f, dir) || resolvesInto(s, f, join(TOOLS, "http")),
      ),
    ).toEqual([]);
  });

  it("keeps the shared http/ folder of the tools free of the emulator, the relay, the CLI and the bot", () => {
    const dir = join(TOOLS, "http");
    expect(
      violations(dir, (s, f) =>
        s.startsWith("dingbot-sdk")
          ? s === "dingbot-sdk/protocol"
          : !s.startsWith(".") || resolvesInto(s, f, dir),
      ),
    ).toEqual([]);
  });

  it("keeps the relay away from the bot and the emulator", () => {
    const dir = join(TOOLS, "relay");
    expect(
      violations(
        dir,
        (s, f) =>
          s !== "dingbot-sdk/bot" &&
          !resolvesInto(s, f, join(TOOLS, "emulator")) &&
          !resolvesInto(s, f, join(TOOLS, "cli")),
      ),
    ).toEqual([]);
  });

  it("keeps demo/ out of cli/ (the CLI starts the demo, not the other way round)", () => {
    const dir = join(TOOLS, "demo");
    expect(violations(dir, (s, f) => !resolvesInto(s, f, join(TOOLS, "cli")))).toEqual([]);
  });

  it("makes the tools package use only the library's public entry points", () => {
    const publicEntries = new Set([
      "dingbot-sdk",
      "dingbot-sdk/protocol",
      "dingbot-sdk/client",
      "dingbot-sdk/bot",
    ]);
    expect(violations(TOOLS, (s) => !s.startsWith("dingbot-sdk") || publicEntries.has(s))).toEqual([]);
  });

  it("never lets the library import the tools package", () => {
    expect(violations(LIB, (s) => !s.startsWith("dingbot-tools"))).toEqual([]);
  });

  it("has no import cycle in either package (type-only imports count)", () => {
    expect(importCycles()).toEqual([]);
  });

  it("resolves specifiers to source files as the build does (the cycle finder's edges)", () => {
    const files = new Set([join(LIB, "a.ts"), join(LIB, "b", "index.ts")]);
    expect(resolveSpecifier("./b/index.js", join(LIB, "a.ts"), files)).toBe(join(LIB, "b", "index.ts"));
    expect(resolveSpecifier("../a.js", join(LIB, "b", "index.ts"), files)).toBe(join(LIB, "a.ts"));
    expect(resolveSpecifier("./b", join(LIB, "a.ts"), files)).toBe(join(LIB, "b", "index.ts"));
    expect(resolveSpecifier("zod", join(LIB, "a.ts"), files)).toBeUndefined();
  });
});
