import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureIo } from "../../../../../test/helpers/cli-io.js";
import { CliUsageError } from "../io.js";
import { formatBytes } from "./media-errors.js";
import { localFile, parseByteSize } from "./media-source.js";

describe("parseByteSize", () => {
  it("reads bytes and binary units, in any case, with or without B / iB", () => {
    expect(parseByteSize("1", "--max-bytes")).toBe(1);
    expect(parseByteSize("1048576", "--max-bytes")).toBe(1048576);
    expect(parseByteSize("512K", "--max-bytes")).toBe(512 * 1024);
    expect(parseByteSize("100m", "--max-bytes")).toBe(100 * 1024 * 1024);
    expect(parseByteSize("100MiB", "--max-bytes")).toBe(100 * 1024 * 1024);
    expect(parseByteSize("100MB", "--max-bytes")).toBe(100 * 1024 * 1024);
    expect(parseByteSize("1G", "--max-bytes")).toBe(2 ** 30);
    expect(parseByteSize("20 M", "--max-bytes")).toBe(20 * 2 ** 20);
    expect(parseByteSize("42b", "--max-bytes")).toBe(42);
  });

  it("refuses anything else as a usage error naming the flag", () => {
    for (const bad of ["", "0", "-1", "1.5M", "lots", "10T", "1e6", "99999999999999999999"]) {
      expect(() => parseByteSize(bad, "--max-bytes"), bad).toThrow(CliUsageError);
      expect(() => parseByteSize(bad, "--max-bytes"), bad).toThrow(
        `--max-bytes must be a size in bytes, got ${JSON.stringify(bad)}`,
      );
    }
  });
});

describe("formatBytes", () => {
  it("says whole binary units, else bytes", () => {
    expect(formatBytes(20 * 2 ** 20)).toBe("20 MiB");
    expect(formatBytes(2 ** 30)).toBe("1 GiB");
    expect(formatBytes(512 * 1024)).toBe("512 KiB");
    expect(formatBytes(1000)).toBe("1000 bytes");
  });
});

describe("localFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "dingbot-local-file-"));
  writeFileSync(join(dir, "a.png"), "png");
  const io = captureIo({ cwd: dir });

  it("resolves a path against the run's working directory", async () => {
    expect(await localFile(io, "a.png", "--image", "hint")).toBe(join(dir, "a.png"));
  });

  it("names the flag, the path and the reason for a missing file, a directory or an empty value", async () => {
    await expect(localFile(io, "b.png", "--image", "give a picture")).rejects.toThrow(
      `--image b.png: cannot read ${join(dir, "b.png")} (no such file)`,
    );
    await expect(localFile(io, ".", "--file", "h")).rejects.toThrow(`--file .: ${dir} is not a file`);
    await expect(localFile(io, "", "--audio", "h")).rejects.toThrow("--audio is empty");
  });
});
