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
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
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

  it("lets the emulator use only dingbot/protocol from the library", () => {
    const dir = join(TOOLS, "emulator");
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
});
