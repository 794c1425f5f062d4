import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { captureIo } from "../../../../test/helpers/cli-io.js";
import { CliUsageError } from "./io.js";
import { addMessageFlags, buildMessageFromFlags, type MessageFlags } from "./message-flags.js";

/** Parses argv with the shared flags, as `send` and `notify` do. */
function parse(argv: string[]): MessageFlags {
  const command = addMessageFlags(new Command("x").exitOverride());
  command.parse(argv, { from: "user" });
  return command.opts<MessageFlags>();
}

describe("addMessageFlags() + buildMessageFromFlags()", () => {
  it("collects repeatable flags", () => {
    const flags = parse([
      "--at-mobile",
      "1",
      "--at-mobile",
      "2",
      "--button",
      "a=https://e.com",
      "--feed-item",
      "t|https://e.com",
    ]);
    expect(flags.atMobile).toEqual(["1", "2"]);
    expect(flags.button).toEqual(["a=https://e.com"]);
    expect(flags.feedItem).toEqual(["t|https://e.com"]);
  });

  it("reads @path relative to the io's working directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flags-"));
    writeFileSync(join(dir, "note.txt"), "hello from a file\r\n");
    const body = await buildMessageFromFlags(parse(["--text", "@note.txt"]), captureIo({ cwd: dir }));
    expect(body).toEqual({ msgtype: "text", text: { content: "hello from a file" } });
  });

  it("lays buttons side by side unless --vertical", async () => {
    const flags = parse(["--action-card", "x", "--title", "t", "--button", "a=https://e.com"]);
    const body = await buildMessageFromFlags(flags, captureIo());
    expect(body.msgtype === "actionCard" && body.actionCard.btnOrientation).toBe("1");
  });

  it("splits a button at the first = so URLs keep their query", async () => {
    const flags = parse(["--action-card", "x", "--title", "t", "--button", "Go=https://e.com/?a=1&b=2"]);
    const body = await buildMessageFromFlags(flags, captureIo());
    expect(body.msgtype === "actionCard" && body.actionCard.btns).toEqual([
      { title: "Go", actionURL: "https://e.com/?a=1&b=2" },
    ]);
  });

  it("reads a link's --text from stdin, and refuses a JSON body that is not a message", async () => {
    const flags = parse(["--link", "https://e.com", "--title", "t", "--text", "-"]);
    expect(await buildMessageFromFlags(flags, captureIo({ stdin: "from stdin" }))).toMatchObject({
      link: { text: "from stdin" },
    });
    await expect(buildMessageFromFlags(parse(["--json", "-"]), captureIo({ stdin: "{}" }))).rejects.toThrow(
      /msgtype/,
    );
  });

  it("names the flag and a fix in every usage error", async () => {
    const error = await buildMessageFromFlags(parse(["--feed-item", "nope"]), captureIo()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as CliUsageError).message).toContain("--feed-item");
    expect((error as CliUsageError).hint).toContain("e.g.");
  });
});
