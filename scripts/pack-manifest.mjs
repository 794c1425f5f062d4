// npm prepack/postpack hook: the published package.json must not point at src/ (not in the tarball), so the
// monorepo-only "dingbot:source" export condition is stripped before packing and restored after.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const mode = process.argv[2];
const manifest = "package.json";
const backup = "package.json.orig";
if (mode === "strip") {
  copyFileSync(manifest, backup);
  const pkg = JSON.parse(readFileSync(manifest, "utf8"));
  for (const entry of Object.values(pkg.exports ?? {})) {
    if (entry && typeof entry === "object") delete entry["dingbot:source"];
  }
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === "restore" && existsSync(backup)) {
  renameSync(backup, manifest);
}
