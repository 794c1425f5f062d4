/**
 * The packages a user installs: `npm pack` both workspaces, check what the tarballs hold, and (in CI, or with
 * DINGBOT_PACK_INSTALL=1, because it compiles better-sqlite3 for ~2.5 min) install them into a fresh project
 * outside the repository, type-check and run an `import … from "dingbot-sdk"`, and run `npx dingbot --help`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

const work = mkdtempSync(join(tmpdir(), "dingbot-pack-"));
const tarballs: Record<string, string> = {};
const installWanted = Boolean(process.env.CI || process.env.DINGBOT_PACK_INSTALL);

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 600_000,
  });
}

describe("npm pack", () => {
  beforeAll(() => {
    for (const dir of ["dingbot", "dingbot-tools"]) {
      if (!existsSync(join(REPO_ROOT, "packages", dir, "dist"))) {
        throw new Error(`packages/${dir}/dist is missing: run "npm run build" (npm install runs it) first`);
      }
    }
    const out = npm(
      ["pack", "--json", "--pack-destination", work, "-w", "dingbot-sdk", "-w", "dingbot-tools"],
      REPO_ROOT,
    );
    for (const entry of JSON.parse(out) as Array<{
      name: string;
      filename: string;
      files: Array<{ path: string }>;
    }>) {
      tarballs[entry.name] = join(work, entry.filename);
      fileLists[entry.name] = entry.files.map((f) => f.path);
    }
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const fileLists: Record<string, string[]> = {};

  it("publishes only built JavaScript, declarations, README, licence and the bin launcher", () => {
    for (const name of ["dingbot-sdk", "dingbot-tools"]) {
      const files = fileLists[name] ?? [];
      expect(files).toContain("package.json");
      expect(files).toContain("README.md");
      expect(files).toContain("LICENSE");
      const unexpected = files.filter(
        (f) =>
          !/^(package\.json|README\.md|LICENSE)$/.test(f) &&
          !/^dist\/.*\.(js|d\.ts)$/.test(f) &&
          !/^bin\/dingbot\.js$/.test(f) &&
          !/^dist\/emulator\/web\/[^/]+\.(html|css|js|svg)$/.test(f),
      );
      expect(unexpected, `${name} would publish files it should not`).toEqual([]);
      // Test-only modules: *.test.* and the _-prefixed fixtures (src/bot/_fixtures.ts) must not ship.
      const testOnly = files.filter((f) => f.includes(".test.") || /(?:^|\/)_[^/]*$/.test(f));
      expect(testOnly, `${name} would publish test-only files`).toEqual([]);
    }
    expect(fileLists["dingbot-sdk"]).toContain("dist/index.d.ts");
    expect(fileLists["dingbot-tools"]).toContain("bin/dingbot.js");
  });

  it("passes publint (strict) and arethetypeswrong (ESM-only profile) as published", () => {
    for (const name of ["dingbot-sdk", "dingbot-tools"]) {
      const tarball = tarballs[name] ?? "";
      const publint = spawnSync("npx", ["publint", "run", tarball, "--strict"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      });
      expect(publint.status, `${name}: publint says\n${publint.stdout}${publint.stderr}`).toBe(0);
      // ESM-only packages: the profile ignores the CommonJS and node10 resolutions that cannot apply.
      const attw = spawnSync("npx", ["attw", tarball, "--profile", "esm-only", "--format", "ascii"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      });
      expect(attw.status, `${name}: arethetypeswrong says\n${attw.stdout}${attw.stderr}`).toBe(0);
    }
  }, 120_000);

  it.runIf(installWanted)(
    "installs into a fresh project where the library type-checks and runs, and npx dingbot --help works",
    () => {
      const project = join(work, "user-project");
      execFileSync("mkdir", ["-p", project]);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "user-project", private: true, type: "module" }),
      );
      npm(
        [
          "install",
          "--no-audit",
          "--no-fund",
          tarballs["dingbot-sdk"]!,
          tarballs["dingbot-tools"]!,
          "typescript@7.0.2",
          "@types/node@20",
        ],
        project,
      );
      writeFileSync(
        join(project, "main.ts"),
        [
          'import { messages, sign } from "dingbot-sdk";',
          'const body = messages.text("你好", { at: { atMobiles: ["13800000000"] } });',
          'const signature: string = sign("SECabc", 1577262236757);',
          "console.log(JSON.stringify({ body, signature }));",
          "",
        ].join("\n"),
      );
      writeFileSync(
        join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            module: "nodenext",
            moduleResolution: "nodenext",
            strict: true,
            types: ["node"],
            outDir: "out",
            rootDir: ".",
          },
          include: ["main.ts"],
        }),
      );
      execFileSync(join(project, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], {
        cwd: project,
        encoding: "utf8",
      });
      const printed = JSON.parse(execFileSync("node", ["out/main.js"], { cwd: project, encoding: "utf8" }));
      expect(printed.body.text.content).toBe("你好\n@13800000000");
      expect(printed.signature).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      const help = execFileSync("npx", ["dingbot", "--help"], { cwd: project, encoding: "utf8" });
      expect(help).toContain("Usage: dingbot");
    },
    900_000,
  );
});
