import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "./version.js";

const versionOf = (pkg: string): string =>
  (
    JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;

describe("VERSION", () => {
  it("is the version in the library's package.json", () => {
    expect(VERSION).toBe(versionOf("dingbot"));
  });

  it("is the tools package's version too: the two are released in lockstep", () => {
    expect(VERSION).toBe(versionOf("dingbot-tools"));
  });
});
